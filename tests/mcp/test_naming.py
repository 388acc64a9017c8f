"""Prompt ids as MCP prompt names and as skill URIs, and back."""

from __future__ import annotations

from pathlib import Path

import pytest
from skills_ref.validator import validate  # type: ignore[import-untyped]

from promptctl.library import Library
from promptctl.mcp import naming
from promptctl.mcp.catalogue import LibraryCatalogue
from promptctl.mcp.server import find_skill
from promptctl.mcp.skills import skill_for
from tests.conftest import write_files
from tests.server.conftest import prompt


@pytest.mark.parametrize(("prompt_id", "name"), [
    ("engineering/code-review", "engineering.code-review"),
    ("a/b/c-d", "a.b.c-d"),
    ("x1/y", "x1.y"),
])
def test_prompt_names_are_ids_with_dots_and_map_back(prompt_id: str, name: str) -> None:
    assert naming.prompt_name(prompt_id) == name
    assert naming.prompt_id(name) == prompt_id
    assert naming.prompt_id(prompt_id) == prompt_id  # an id is accepted as it is


@pytest.mark.parametrize(("prompt_id", "path"), [
    ("engineering/code-review", "engineering/code-review"),
    ("a/b/c", "a/b/c"),
    ("demo/odd--name-", "demo/odd-name-" + "{digest}"),
    ("demo/" + "x" * 70, "demo/" + "x" * 55 + "-{digest}"),
])
def test_skill_paths_end_in_a_valid_skill_name(prompt_id: str, path: str) -> None:
    import hashlib

    digest = hashlib.sha256(prompt_id.encode()).hexdigest()[:8]
    expected = path.replace("{digest}", digest)
    assert naming.skill_path(prompt_id) == expected
    assert naming.is_skill_name(expected.rpartition("/")[2])
    assert naming.parse_skill_uri(naming.skill_uri(expected)) == expected


@pytest.mark.parametrize("uri", ["skill://SKILL.md", "skill://a/b/README.md", "file://a/SKILL.md",
                                 "skill://a/../b/SKILL.md", "skill://A/b/SKILL.md"])
def test_what_is_not_a_skill_uri(uri: str) -> None:
    assert naming.parse_skill_uri(uri) is None


def test_an_id_whose_name_is_not_a_valid_skill_name_is_still_served(tmp_path: Path) -> None:
    write_files(tmp_path, {"prompts/demo/odd--name-.prompt.md": prompt(title="Odd"),
                           "prompts/demo/odd-name.prompt.md": prompt(title="Even")})
    library = Library.from_work_tree(tmp_path)
    catalogue = LibraryCatalogue(library, lambda _p: True, commit=None, stamp="s")
    odd = skill_for(library.prompts["demo/odd--name-"].detail())
    even = skill_for(library.prompts["demo/odd-name"].detail())
    assert odd.uri != even.uri
    for skill in (odd, even):
        found = find_skill(catalogue, skill.uri)
        assert found is not None
        assert found.prompt_id == skill.prompt_id
        folder = tmp_path / "out" / skill.prompt_id.replace("/", "_") / skill.frontmatter["name"]
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_bytes(skill.data)
        assert validate(folder) == []
