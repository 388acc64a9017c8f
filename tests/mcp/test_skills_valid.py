"""Every skill we serve is accepted by the Agent Skills reference validator (``skills-ref``): the
prompts of this repository, and the public corpora imported as prompts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from skills_ref.validator import validate  # type: ignore[import-untyped]

from promptctl.library import Library
from promptctl.mcp import naming
from promptctl.mcp.skills import skill_for
from tests.conftest import CORPORA, ROOT


def _check(library: Library, out: Path) -> list[str]:
    problems = []
    assert library.prompts
    for prompt in library.prompts.values():
        skill = skill_for(prompt.detail())
        folder = out / prompt.id.replace("/", "__") / skill.frontmatter["name"]
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_bytes(skill.data)
        problems += [f"{prompt.id}: {p}" for p in validate(folder)]
        # The entry's front matter is the file's, verbatim.
        head = skill.text.split("---\n")[1]
        assert yaml.safe_load(head) == skill.frontmatter, prompt.id
        assert skill.uri == f"skill://{naming.skill_path(prompt.id)}/SKILL.md"
        assert naming.skill_path(prompt.id).rpartition("/")[2] == skill.frontmatter["name"]
    return problems


def test_every_prompt_of_this_repository_is_a_valid_skill(tmp_path: Path) -> None:
    assert _check(Library.from_work_tree(ROOT), tmp_path) == []


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    if text.startswith("---\n"):
        head, sep, body = text[4:].partition("\n---\n")
        if sep:
            data = yaml.safe_load(head)
            return (data if isinstance(data, dict) else {}), body
    return {}, text


def _as_prompt(name: str, text: str, corpus: str) -> str:
    """A corpus text as a prompt file: its own description where it has one, the text itself
    as the template (in a raw block: it is not Jinja2), one input."""
    meta, body = _front_matter(text)
    first = next((line.strip("# ").strip() for line in body.splitlines() if line.strip()), name)
    description = str(meta.get("description") or first)[:1500] or name
    front = {"title": name.replace("-", " ").capitalize(), "description": description,
             "version": "1.0.0", "status": "active", "owners": ["@corpora/team"],
             "tags": [corpus],
             "inputs": {"input": {"type": "string", "required": True,
                                  "description": "What the prompt works on."}}}
    return (f"---\n{yaml.safe_dump(front, sort_keys=False, allow_unicode=True)}---\n"
            f"{{% raw %}}\n{body.strip()}\n{{% endraw %}}\n\n{{{{ input }}}}\n")


@pytest.mark.corpora
def test_every_corpus_prompt_imported_is_a_valid_skill(tmp_path: Path) -> None:
    if not CORPORA.is_dir():
        pytest.skip(f"the corpora are not here ({CORPORA}): nothing to import")
    repo = tmp_path / "repo"
    sources = [("fabric", p.parent.name, p)
               for p in sorted((CORPORA / "fabric" / "patterns").glob("*/system.md"))]
    sources += [("copilot", p.name.removesuffix(".prompt.md"), p)
                for p in sorted((CORPORA / "awesome-copilot" / "prompts").glob("*.prompt.md"))]
    written = 0
    for corpus, raw, path in sources:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "endraw" in text:
            continue  # cannot sit in a raw block; not a skill question
        name = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-") or "prompt"
        target = repo / "prompts" / corpus / f"{name}.prompt.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_as_prompt(name, text, corpus), encoding="utf-8")
        written += 1
    library = Library.from_work_tree(repo)
    assert len(library.prompts) == written > 300
    assert _check(library, tmp_path / "skills") == []
