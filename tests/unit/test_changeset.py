"""``check`` loads what the change touches, and still reaches the whole library's verdict on the
cross-file rules: aliases, ids, replaced_by and partials of files the change did not touch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from promptctl.changeset import ChangeSet, Side
from promptctl.gitreader import PathLog
from promptctl.library import Library
from promptctl.lifecycle import check
from tests.acceptance.test_check_cli import apply, md
from tests.conftest import RepoFactory, git

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


def _record_logs(monkeypatch: pytest.MonkeyPatch, events: list[str]) -> list[PathLog]:
    """Every path log ``check`` starts, and when (in ``events``, with each side's loading)."""
    logs: list[PathLog] = []
    init, load = PathLog.__init__, Side.load

    def started(self: PathLog, where: list[str], head: str, paths: list[str]) -> None:
        init(self, where, head, paths)
        events.append("log " + " ".join(self.paths))
        logs.append(self)

    def loaded(self: Side, paths: object) -> Library:
        events.append("load")
        return load(self, paths)  # type: ignore[arg-type]

    monkeypatch.setattr(PathLog, "__init__", started)
    monkeypatch.setattr(Side, "load", loaded)
    return logs


@pytest.mark.parametrize("head", ["pr", None], ids=["commit", "work-tree"])
def test_the_base_log_starts_before_either_side_loads(make_repo: RepoFactory,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      head: str | None) -> None:
    """git walks the base's history of the changed prompts while the sides load (the reused
    version rule reads it): one log, started first, over both forms of the changed prompts."""
    repo = make_repo({GREET: md(), **OTHERS, OLD: md(title="Old", status="deprecated")})
    apply(repo, {GREET: md("1.0.1", body="Hi, {{ name }}."), OLD: None,
                 "prompts/demo/new.prompt.md": md("0.1.0", "draft", title="New")})
    if head is not None:
        git(repo, "checkout", "-q", "-b", head)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "the pull request")
    events: list[str] = []
    logs = _record_logs(monkeypatch, events)
    result = check(repo, "main", head)
    assert result.ok, result.violations
    greet_new = ("prompts/demo/greet.prompt.md prompts/demo/greet.prompt.yaml "
                 "prompts/demo/new.prompt.md prompts/demo/new.prompt.yaml")
    # Between commits git names the change (a deleted prompt too); the work tree is listed first.
    old = " prompts/demo/old.prompt.md prompts/demo/old.prompt.yaml" if head else ""
    assert events[0] == f"log {greet_new}{old}"
    assert events[1:]
    assert set(events[1:]) == {"load"}  # no second log: the versions came from the first
    assert len(logs) == 1
    assert logs[0]._process is None  # read to its end and reaped


def test_the_base_log_is_ended_when_no_rule_reads_it(make_repo: RepoFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo({GREET: md(), **OTHERS})
    git(repo, "checkout", "-q", "-b", "pr")
    apply(repo, {GREET: md("1.0.1", body="Hi, {{ name ")})  # the head does not validate
    git(repo, "commit", "-q", "-am", "broken")
    logs = _record_logs(monkeypatch, [])
    result = check(repo, "main", "pr")
    assert [v.code for v in result.violations] == ["validate"]
    assert len(logs) == 1
    assert logs[0]._process is None  # closed unread: git ended and reaped


def test_a_log_that_misses_a_changed_prompt_is_not_used(make_repo: RepoFactory,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged link counts as changed (its target is not compared): git's diff does not
    name it, so the log started early does not follow it and another is started."""
    repo = make_repo({GREET: md(), **OTHERS})
    (repo / "prompts/demo/link.prompt.md").symlink_to("greet.prompt.md")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a link")
    git(repo, "checkout", "-q", "-b", "pr")
    apply(repo, {GREET: md("1.0.1", body="Hi, {{ name }}.")})
    git(repo, "commit", "-q", "-am", "edit")
    events: list[str] = []
    logs = _record_logs(monkeypatch, events)
    changes = ChangeSet.between(repo, "main", "pr")
    assert "prompts/demo/link.prompt.md" in changes.changed
    check(repo, "main", "pr")
    greet = "prompts/demo/greet.prompt.md prompts/demo/greet.prompt.yaml"
    link = "prompts/demo/link.prompt.md prompts/demo/link.prompt.yaml"
    assert [e for e in events if e.startswith("log")] == [f"log {greet}", f"log {greet} {link}"]
    assert len(logs) == 2
    assert all(log._process is None for log in logs)


def test_check_imports_no_loader_before_the_log_starts() -> None:
    """The overlap needs ``check``'s own modules to import neither Jinja2 nor jsonschema: those
    load while git walks. A fresh interpreter shows what an import pulls in."""
    code = ("import sys, promptctl.lifecycle; "
            "print(sorted(m for m in ('jinja2', 'jsonschema', 'promptctl.loader', "
            "'promptctl.library', 'promptctl.config') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_config_file_name_is_the_config_modules() -> None:
    from promptctl import changeset, config

    assert changeset.CONFIG_FILE == config.CONFIG_FILE


def test_an_invalid_base_config_is_the_error_even_with_an_unknown_head(
        make_repo: RepoFactory) -> None:
    from promptctl.errors import ConfigError

    repo = make_repo({GREET: md(), "promptctl.yaml": "approvals:\n  team: many\n"})
    with pytest.raises(ConfigError) as raised:
        ChangeSet.between(repo, "main", "nope")
    assert raised.value.path == "main:promptctl.yaml"
    with pytest.raises(ConfigError):
        check(repo, "main", None)
