"""``check`` loads what the change touches, and still reaches the whole library's verdict on the
cross-file rules: aliases, ids, replaced_by and partials of files the change did not touch."""

from __future__ import annotations

import pytest

from promptctl.changeset import ChangeSet
from promptctl.library import Library
from promptctl.lifecycle import check
from tests.acceptance.test_check_cli import apply, md
from tests.conftest import RepoFactory

GREET = "prompts/demo/greet.prompt.md"
OTHERS = {f"prompts/demo/p{i}.prompt.md": md(title=f"P{i}") for i in range(20)}
OLD = "prompts/demo/old.prompt.md"


def _codes(repo_files: dict[str, str], change: dict[str, str | None],
           make_repo: RepoFactory) -> tuple[list[tuple[str, str]], list[str]]:
    repo = make_repo(repo_files)
    apply(repo, change)
    result = check(repo, "main")
    problems = [(p.path, p.code) for p in result.head.problems if p.is_error]
    # The verdict the whole library reaches (``promptctl validate``).
    whole = Library.from_work_tree(repo)
    assert problems == [(p.path, p.code) for p in whole.problems if p.is_error]
    return problems, [v.code for v in result.violations]


@pytest.mark.parametrize(("files", "change", "expected"), [
    pytest.param(
        {**OTHERS, "prompts/demo/held.prompt.md": md(title="Held", extra="aliases: [hi]\n")},
        {GREET: md("0.1.0", "draft", extra="aliases: [hi]\n")},
        [("prompts/demo/held.prompt.md", "alias")], id="new-alias-taken-by-an-untouched-prompt"),
    pytest.param(
        {**OTHERS},
        {GREET: md("0.1.0", "draft", extra="aliases: [demo/p3]\n")},
        [(GREET, "alias")], id="new-alias-is-an-untouched-id"),
    pytest.param(
        {**OTHERS, "prompts/demo/held.prompt.md": md(title="Held", extra="aliases: [demo/new]\n")},
        {"prompts/demo/new.prompt.md": md("0.1.0", "draft")},
        [("prompts/demo/held.prompt.md", "alias")], id="new-id-is-an-untouched-alias"),
    pytest.param(
        {**OTHERS, OLD: md(status="deprecated", extra="replaced_by: demo/p7\n")},
        {"prompts/demo/p7.prompt.md": None},
        [(OLD, "replaced-by")], id="deleted-prompt-an-untouched-successor-names"),
    pytest.param(
        {**OTHERS, "prompts/demo/p7.prompt.md": md(title="P7", extra="aliases: [seven]\n"),
         OLD: md(status="deprecated", extra="replaced_by: seven\n")},
        {"prompts/demo/p7.prompt.md": md("1.0.1", title="P7")},
        [(OLD, "replaced-by")], id="removed-alias-an-untouched-successor-names"),
    pytest.param(
        {**OTHERS, "prompts/demo/p7.prompt.md": md(title="P7", extra="aliases: [seven]\n")},
        {GREET: md("1.0.0", "deprecated", extra="replaced_by: seven\n")},
        [], id="successor-by-an-untouched-alias-exists"),
    pytest.param(
        {**OTHERS, "prompts/demo/p7.prompt.md": md(title="P7", extra="aliases: [seven]\n"),
         OLD: md(status="deprecated", extra="replaced_by: seven\n")},
        {GREET: md("1.0.1", body="Hello again, {{ name }}.")},
        [], id="untouched-prompts-need-nothing"),
])
def test_cross_file_rules_see_untouched_files(make_repo: RepoFactory,
                                              files: dict[str, str],
                                              change: dict[str, str | None],
                                              expected: list[tuple[str, str]]) -> None:
    base = {GREET: md(), **files}
    problems, codes = _codes(base, change, make_repo)
    assert problems == expected
    assert ("validate" in codes) == bool(expected)


def test_only_what_the_change_touches_is_loaded(make_repo: RepoFactory) -> None:
    repo = make_repo({GREET: md(), **OTHERS, "prompts/_partials/sign.md": "Bye.",
                      "prompts/demo/signed.prompt.md": md(
                          title="Signed",
                          body='Hi {{ name }}.\n{% include "_partials/sign.md" %}')})
    apply(repo, {GREET: md("1.0.1", body="Hi, {{ name }}.")})
    base, head = ChangeSet.between(repo, "main", None).libraries()
    assert sorted(head.prompts) == sorted(base.prompts) == ["demo/greet"]
    assert list(head.partials) == ["_partials/sign.md"]  # every partial, for the template checks
    # A changed partial brings the prompts that include it, and only those.
    apply(repo, {"prompts/_partials/sign.md": "Cheers."})
    base, head = ChangeSet.between(repo, "main", None).libraries()
    assert sorted(head.prompts) == ["demo/greet", "demo/signed"]
