"""What a worker process sends back (``promptctl.prefill``): every result read back equal."""

from __future__ import annotations

import marshal

from promptctl import prefill
from promptctl.loader import load_prompt
from promptctl.sources import MAX_FILE_BYTES, SourceFile
from promptctl.validate import PromptChecks

FRONT = "title: T\ndescription: D\nversion: 1.0.0\nstatus: active\nowners: ['@a/b']\n"
FILES = {
    "prompts/a/plain.prompt.md": f"---\n{FRONT}---\nHello {{{{ name }}}}\n",
    "prompts/a/system.prompt.md": (
        f"---\n{FRONT}system: >\n  Be brief\n  with {{{{ name }}}}\ninputs:\n  name:\n"
        "    type: string\n    default: you\ntests:\n- name: t\n  inputs: {name: x}\n"
        "  expect: {contains: x}\n---\n\nHi {{ name }}\n"),
    "prompts/a/messages.prompt.yaml": (
        f"{FRONT}tags: [one, two]\nmessages:\n- role: system\n  content: |\n    Rules\n"
        "- role: user\n  content: 'Ask {{ q }}'\n"),
    "prompts/a/bom-crlf.prompt.md": f"\ufeff---\r\n{FRONT}---\r\nBody é\r\n".replace(
        "\n", "\r\n").replace("\r\r\n", "\r\n"),
    "prompts/a/undeclared.prompt.md": f"---\n{FRONT}---\nHello {{{{ nobody }}}}\n",
    "prompts/a/bad-yaml.prompt.md": f"---\n{FRONT}title: [unclosed\n---\nx\n",
    "prompts/a/not-utf8.prompt.md": "---\ntitle: \udcff\n---\n",
}


def _files() -> list[SourceFile]:
    found = [SourceFile(path, text.encode("utf-8", "surrogateescape"), "file", len(text))
             for path, text in FILES.items()]
    found.append(SourceFile("prompts/a/huge.prompt.md", b"", "oversize", MAX_FILE_BYTES + 1))
    return found


def test_results_read_back_equal() -> None:
    checks = PromptChecks({})
    sent = []
    for file in _files():
        result = load_prompt(file)
        sent.append((file, result, checks(result.prompt) if result.prompt else None))
    wire = marshal.dumps([prefill._encode(done) for done in sent])
    back = [prefill._decode(fields) for fields in marshal.loads(wire)]
    assert len(back) == len(sent)
    loaded = 0
    for (file, result, problems), (file2, result2, problems2) in zip(sent, back, strict=True):
        assert file2 == file
        assert result2.problems == result.problems
        assert problems2 == problems
        if result.prompt is None:
            assert result2.prompt is None
            continue
        loaded += 1
        prompt, prompt2 = result.prompt, result2.prompt
        assert prompt2 == prompt  # id, path, form, meta, templates, digest and text
        assert prompt2.text == prompt.text
        assert prompt2.document.data == prompt.document.data
        assert prompt2.document.spans == prompt.document.spans
    assert loaded == 5
    assert any(problems for _f, _r, problems in sent)  # a check that found something went too
