"""The corpora of other people's prompts: 143 Copilot prompt files and 225 fabric patterns,
imported once per session by the real command line (see ``corpus_repo``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptctl.formats import export_prompt
from promptctl.formats.common import load_front_matter
from promptctl.library import Library
from tests.formats.conftest import COPILOT, FABRIC, run_cli


@pytest.fixture(scope="module")
def corpus(corpus_repo: Path) -> Library:
    return Library.from_work_tree(corpus_repo)


def copilot_sources() -> list[Path]:
    return sorted(COPILOT.glob("*.prompt.md")) if COPILOT.is_dir() else []


def test_the_imported_library_validates_with_zero_errors(corpus_repo: Path,
                                                         corpus: Library) -> None:
    assert len(corpus.prompts) == 143 + 225
    proc = run_cli("validate", "--repo", str(corpus_repo))
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "368 files checked: 0 error(s), 0 warning(s)" in proc.stdout


def test_copilot_files_come_back_with_every_field_and_the_same_body(corpus: Library) -> None:
    sources = copilot_sources()
    assert len(sources) == 143
    by_file = {p.meta["x-imported-from"]["file"]: p for p in corpus.prompts.values()
               if p.meta["x-imported-from"]["format"] == "copilot"}
    differences = []
    for source in sources:
        prompt = by_file[source.name]
        result = export_prompt(prompt, "copilot", renderer=corpus.renderer)
        assert result.problem is None, (source.name, result.problem)
        (data,) = result.files.values()
        original, body, _line = load_front_matter(source.read_text(encoding="utf-8"))
        exported, body_again, _line = load_front_matter(data.decode())
        for key, value in original.items():
            if exported.get(key) != value:
                differences.append(f"{source.name}: {key}")
        # The loader strips a body's leading blank lines and trailing whitespace.
        if body_again.strip("\n").rstrip() != body.lstrip("\n").rstrip():
            differences.append(f"{source.name}: body")
    assert differences == []


def test_text_that_was_not_a_template_renders_as_it_was(corpus: Library) -> None:
    """Literal {{, {% and ${...} of someone else's text survive: escaped, never evaluated."""
    checked = 0
    for prompt in corpus.prompts.values():
        origin = prompt.meta["x-imported-from"]
        if origin["format"] == "fabric":
            source = FABRIC / prompt.meta["x-fabric"]["pattern"] / "system.md"
            rendered = corpus.renderer.render(prompt, {"input": "{{ x }}"})
            assert rendered.messages[0].content == source.read_text(encoding="utf-8").strip()
            assert rendered.messages[1].content == "{{ x }}"
            checked += 1
        elif not prompt.inputs:
            _front, body, _line = load_front_matter(
                (COPILOT / origin["file"]).read_text(encoding="utf-8"))
            assert corpus.renderer.render(prompt, {}).text == body.strip()
            checked += 1
    assert checked > 300
