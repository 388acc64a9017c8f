"""Lines end at ``\\n``, ``\\r\\n`` and ``\\r`` only: a U+2028 (LINE SEPARATOR) or U+0085 (NEXT
LINE) in a front-matter value is a character of its line, so the lines `promptctl validate`
reports below it are the lines an editor shows, in the body and in the front matter."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CliRunner, RepoFactory

# Lines 1-9 of each file; the odd characters stand in the quoted title on line 2.
FRONT = (
    '---\n'
    'title: "a\u2028b\u0085c"\n'
    'description: Separators in the title.\n'
    'version: 1.0.0\n'
    'status: active\n'
    'owners: ["@acme/team"]\n'
    'inputs:\n'
    '  name: {type: string, required: true}\n'
)
SYSTEM = "system: 'Say {{ name }} \u2028 then {% if %}'\n"  # line 9
BODY = "---\nHello {{ name }}.\n\n{% if %}\n"  # the fence on line 9, {% if %} on line 12


def _problems(cli: CliRunner, make_repo: RepoFactory, text: str,
              newline: str = "\n") -> list[dict[str, Any]]:
    data = text.replace("\n", newline).encode("utf-8")
    repo = make_repo({"prompts/demo/sep.prompt.md": data})
    result = cli("validate", "--repo", str(repo), "--json")
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.output
    problems: list[dict[str, Any]] = result.json()["problems"]
    return [p for p in problems if p["severity"] == "error"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_a_template_error_in_the_body_is_on_its_line(cli: CliRunner, make_repo: RepoFactory,
                                                     newline: str) -> None:
    problems = _problems(cli, make_repo, FRONT + BODY, newline)
    assert [(p["code"], p["line"]) for p in problems] == [("template", 12)]
    assert "body" in problems[0]["message"]


def test_a_front_matter_error_below_the_characters_is_on_its_line(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    problems = _problems(cli, make_repo, FRONT + "bogus: 1\n" + BODY.replace("{% if %}", ""))
    assert [(p["code"], p["line"], p["col"]) for p in problems] == [("schema", 9, 1)]
    assert "'bogus'" in problems[0]["message"]


def test_a_template_error_in_a_front_matter_value_is_on_its_line(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    problems = _problems(cli, make_repo, FRONT + SYSTEM + "---\nHello.\n")
    assert [(p["code"], p["line"]) for p in problems] == [("template", 9)]
    assert "system" in problems[0]["message"]


@pytest.mark.parametrize(("line", "where"), [
    ("tags: [one, two\n", ("yaml", 10, 1)),  # the list opened on line 9 is not closed by 10
    ("tags: !!binary aGk=\n", ("yaml-type", 9, 7)),
    ("x-note: &a 1\n", ("yaml-alias", 9, 9)),
], ids=["malformed", "tag", "anchor"])
def test_a_yaml_error_below_the_characters_is_on_its_line(
        cli: CliRunner, make_repo: RepoFactory, line: str, where: tuple[str, int, int]) -> None:
    problems = _problems(cli, make_repo, FRONT + line + BODY)
    assert [(p["code"], p["line"], p["col"]) for p in problems] == [where]
