"""``sync``, ``sync --check``, ``outdated`` and ``update`` through the real command line, against
a real server (also as ``promptctl serve``) and a real Git repository of prompts."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from promptctl.consumers import lock as lock_module
from tests.conftest import CliRunner, RepoFactory, git
from tests.consumers.conftest import Peer, json_answer, promptctl_serve
from tests.server.conftest import LIBRARY, Keys, ServerFactory, commit_files, prompt

PROMPTS = {
    **LIBRARY,
    "prompts/_partials/signature.md": "-- the ops team",
    "prompts/ops/runbook.prompt.md": prompt(
        title="Runbook", tags="[ops]",
        body="Runbook for {{ name }}.\n{% include '_partials/signature.md' %}"),
}


@pytest.fixture
def prompt_repo(make_repo: RepoFactory) -> Path:
    return make_repo(PROMPTS)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    return folder


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "user-cache")}


def write_references(app: Path, source: str, *refs: str, targets: str = "") -> None:
    lines = [f"source: {source}", *([f"targets: {targets}"] if targets else []), "prompts:"]
    (app / "prompt-engine.yaml").write_text("\n".join([*lines, *(f"  - {r}" for r in refs)])
                                            + "\n")


def locked(app: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((app / lock_module.FILE).read_text())
    return data


def files_of(app: Path) -> dict[str, bytes]:
    return {str(p.relative_to(app)): p.read_bytes() for p in sorted(app.rglob("*"))
            if p.is_file() and p.name != "prompt-engine.yaml"}


def blob(repo: Path, path: str) -> bytes:
    return git_bytes(repo, "show", f"main:{path}")


def git_bytes(repo: Path, *args: str) -> bytes:
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout


def test_sync_locks_id_version_commit_digest_and_writes_the_files(
        cli: CliRunner, start_server: ServerFactory, prompt_repo: Path, app: Path,
        env: dict[str, str]) -> None:
    running = start_server(prompt_repo)
    write_references(app, f"{{server: {running.url}}}", "demo/greet@1", "hello", "{tag: ops}")
    result = cli("sync", "--repo", str(app), env=env)
    assert result.returncode == 0, result.output
    head = git(prompt_repo, "rev-parse", "main").strip()
    data = locked(app)
    assert data["source"] == running.url
    assert [(p["id"], p["version"], p["commit"], p["references"]) for p in data["prompts"]] == [
        ("demo/greet", "1.0.0", head, ["demo/greet@1", "hello"]),
        ("ops/runbook", "1.0.0", head, ["tag:ops"])]
    for entry in data["prompts"]:
        expected = hashlib.sha256(blob(prompt_repo, entry["path"])).hexdigest()
        assert entry["digest"] == f"sha256:{expected}"
    raw = ".prompt-engine/prompts"
    files = files_of(app)
    assert files[f"{raw}/demo/greet.prompt.md"] == blob(prompt_repo,
                                                        "prompts/demo/greet.prompt.md")
    assert files[f"{raw}/_partials/signature.md"] == b"-- the ops team"
    assert set(data["files"]) == set(files) - {lock_module.FILE}
    again = cli("sync", "--repo", str(app), env=env)
    assert "0 written, 0 removed; lock unchanged" in again.stdout
    assert files_of(app) == files


def test_a_git_repository_gives_the_same_lock_and_files_as_the_server(
        cli: CliRunner, start_server: ServerFactory, prompt_repo: Path, tmp_path: Path,
        env: dict[str, str]) -> None:
    running = start_server(prompt_repo)
    targets = "[raw, {format: skills, unfaithful: embed}, claude-commands]"
    refs = ("demo/greet@1", "hello", "{tag: ops}", "demo/farewell@1.0.0")
    results = {}
    for name, source in (("api", f"{{server: {running.url}}}"),
                         ("path", f"{{git: {prompt_repo}}}"),
                         ("url", f"{{git: 'file://{prompt_repo}', ref: main}}")):
        app = tmp_path / name
        app.mkdir()
        write_references(app, source, *refs, targets=targets)
        result = cli("sync", "--repo", str(app), env=env)
        assert result.returncode == 0, result.output
        data = locked(app)
        del data["source"]
        results[name] = (data, files_of(app))
    assert results["api"][0] == results["path"][0] == results["url"][0]
    assert results["api"][1].keys() == results["path"][1].keys() == results["url"][1].keys()
    api_files = {k: v for k, v in results["api"][1].items() if k != lock_module.FILE}
    assert api_files == {k: v for k, v in results["path"][1].items() if k != lock_module.FILE}
    assert ".agents/skills/demo-greet/SKILL.md" in api_files
    assert ".claude/commands/demo-farewell.md" not in api_files  # a conditional: skipped
    assert (tmp_path / "user-cache" / "prompt-engine" / "git").is_dir()  # the URL was cloned


def test_from_the_lock_and_a_warm_cache_sync_needs_no_server(
        cli: CliRunner, prompt_repo: Path, app: Path, env: dict[str, str],
        tmp_path: Path) -> None:
    with promptctl_serve(prompt_repo, tmp_path / "server-cache") as url:
        write_references(app, f"{{server: {url}}}", "demo/greet@1", "ops/runbook")
        assert cli("sync", "--repo", str(app), env=env).returncode == 0
    written = files_of(app)
    shutil.rmtree(app / ".prompt-engine")
    offline = cli("sync", "--repo", str(app), env=env)  # the server is stopped
    assert offline.returncode == 0, offline.output
    assert files_of(app) == written  # byte for byte, from the lock
    assert cli("sync", "--check", "--offline", "--repo", str(app), env=env).returncode == 0
    cold = cli("sync", "--repo", str(app), env={"XDG_CACHE_HOME": str(tmp_path / "empty")})
    assert cold.returncode == 1
    assert f"cannot reach {url}" in cold.stderr
    assert files_of(app) == written


def test_check_finds_a_stale_lock_and_changed_files(
        cli: CliRunner, start_server: ServerFactory, prompt_repo: Path, app: Path,
        env: dict[str, str]) -> None:
    running = start_server(prompt_repo)
    write_references(app, f"{{server: {running.url}}}", "demo/greet@1")
    assert cli("sync", "--check", "--repo", str(app), env=env).returncode == 1  # no lock yet
    assert cli("sync", "--repo", str(app), env=env).returncode == 0
    ok = cli("sync", "--check", "--repo", str(app), env=env)
    assert ok.returncode == 0, ok.output
    assert "1 locked prompt(s) and 1 file(s) up to date" in ok.stdout
    raw = app / ".prompt-engine/prompts/demo/greet.prompt.md"
    raw.write_bytes(raw.read_bytes() + b"\n")
    changed = cli("sync", "--check", "--repo", str(app), env=env)
    assert changed.returncode == 1
    assert ".prompt-engine/prompts/demo/greet.prompt.md: changed since sync" in changed.stderr
    assert cli("sync", "--repo", str(app), env=env).returncode == 0
    write_references(app, f"{{server: {running.url}}}", "demo/greet@1", "demo/farewell")
    stale = cli("sync", "--check", "--repo", str(app), env=env)
    assert stale.returncode == 1
    assert "prompt-engine.yaml:4: demo/farewell is not in the lock" in stale.stderr
    write_references(app, f"{{server: {running.url}}}", "demo/greet@2")
    outside = cli("sync", "--check", "--offline", "--repo", str(app), env=env)
    assert outside.returncode == 1
    assert "demo/greet comes from demo/greet@1, which the references no longer list" in (
        " ".join(outside.stderr.split()))


def test_check_names_a_deprecated_prompts_replacement_and_a_vanished_version(
        cli: CliRunner, start_server: ServerFactory, prompt_repo: Path, tmp_path: Path,
        keys: Keys, env: dict[str, str]) -> None:
    running = start_server(prompt_repo, keys_file=keys.path)
    apps = {}
    for name, source in (("git", f"{{git: {prompt_repo}}}"),
                         ("contributor", f"{{server: {running.url}, key_env: CONTRIB_KEY}}"),
                         ("consumer", f"{{server: {running.url}, key_env: CONSUMER_KEY}}")):
        apps[name] = tmp_path / name
        apps[name].mkdir()
        write_references(apps[name], source, "demo/greet@1", "ops/runbook@1")
    env = {**env, "CONTRIB_KEY": keys.contributor, "CONSUMER_KEY": keys.consumer}
    for app in apps.values():
        assert cli("sync", "--repo", str(app), env=env).returncode == 0
    commit_files(prompt_repo, {"prompts/demo/greet.prompt.md": prompt(
        version="1.1.0", status="deprecated", extra="\nreplaced_by: demo/farewell")})
    git(prompt_repo, "rm", "-q", "prompts/ops/runbook.prompt.md")
    git(prompt_repo, "commit", "-q", "-m", "runbook removed")
    running.wait_ready(git(prompt_repo, "rev-parse", "HEAD").strip())
    for name in ("git", "contributor"):
        result = cli("sync", "--check", "--repo", str(apps[name]), env=env)
        assert result.returncode == 1, result.output
        assert "demo/greet: deprecated; use demo/farewell instead" in result.stderr
        assert "ops/runbook@1.0.0: no longer visible" in result.stderr
    hidden = cli("sync", "--check", "--repo", str(apps["consumer"]), env=env)
    assert hidden.returncode == 1
    # A consumer key sees neither (the server hides deprecated prompts from consumers).
    assert "demo/greet@1.0.0: no longer visible" in hidden.stderr
    assert "ops/runbook@1.0.0: no longer visible" in hidden.stderr


def test_outdated_lists_newer_versions_and_update_moves_within_the_range(
        cli: CliRunner, start_server: ServerFactory, prompt_repo: Path, app: Path,
        env: dict[str, str]) -> None:
    running = start_server(prompt_repo)
    write_references(app, f"{{server: {running.url}}}", "demo/greet@1", "demo/farewell")
    assert cli("sync", "--repo", str(app), env=env).returncode == 0
    commit_files(prompt_repo, {"prompts/demo/greet.prompt.md": prompt(
        version="1.1.0", body="Hi, {{ name }}.", extra="\naliases: [hello]")})
    head = commit_files(prompt_repo, {"prompts/demo/greet.prompt.md": prompt(
        version="2.0.0", body="Hey, {{ name }}.", extra="\naliases: [hello]")})
    running.wait_ready(head)
    result = cli("outdated", "--json", "--repo", str(app), env=env)
    assert result.returncode == 0, result.output
    assert result.json() == [{"id": "demo/greet", "locked": "1.0.0", "range": "1",
                              "wanted": "1.1.0", "latest": "2.0.0"}]
    table = cli("outdated", "--repo", str(app), env=env)
    assert "demo/greet  1.0.0   @1     1.1.0   2.0.0" in table.stdout
    assert cli("sync", "--repo", str(app), env=env).stdout.count("locked ") == 0  # kept
    unknown = cli("update", "demo/nope", "--repo", str(app), env=env)
    assert unknown.returncode == 2
    updated = cli("update", "demo/greet", "--repo", str(app), env=env)
    assert updated.returncode == 0, updated.output
    assert "locked demo/greet@1.1.0" in updated.stdout
    versions = {p["id"]: p["version"] for p in locked(app)["prompts"]}
    assert versions == {"demo/greet": "1.1.0", "demo/farewell": "1.0.0"}
    raw = app / ".prompt-engine/prompts/demo/greet.prompt.md"
    assert b"Hi, {{ name }}." in raw.read_bytes()
    assert cli("sync", "--check", "--repo", str(app), env=env).returncode == 0
    after = cli("outdated", "--json", "--repo", str(app), env=env).json()
    assert after == [{"id": "demo/greet", "locked": "1.1.0", "range": "1", "wanted": None,
                      "latest": "2.0.0"}]


def test_a_failed_sync_leaves_the_lock_and_the_files_as_they_were(
        cli: CliRunner, start_server: ServerFactory, prompt_repo: Path, app: Path,
        env: dict[str, str]) -> None:
    running = start_server(prompt_repo)
    write_references(app, f"{{server: {running.url}}}", "demo/greet@1")
    assert cli("sync", "--repo", str(app), env=env).returncode == 0
    before = files_of(app)
    for ref, expected in (("demo/nope", "prompt-engine.yaml:4: demo/nope: no such prompt"),
                          ("demo/farewell@3", "prompt-engine.yaml:4: demo/farewell@3: no such"),
                          ("demo/secret-draft", "prompt-engine.yaml:4: demo/secret-draft: no "
                                                "such prompt")):
        write_references(app, f"{{server: {running.url}}}", "demo/greet@1", ref)
        result = cli("sync", "--repo", str(app), env=env)
        assert result.returncode == 1
        assert expected in result.stderr
        assert files_of(app) == before


def test_dropping_a_reference_removes_only_the_files_sync_wrote(
        cli: CliRunner, start_server: ServerFactory, prompt_repo: Path, app: Path,
        env: dict[str, str]) -> None:
    running = start_server(prompt_repo)
    targets = "[raw, {format: claude-commands, unfaithful: embed}]"
    write_references(app, f"{{server: {running.url}}}", "demo/greet", "ops/runbook",
                     targets=targets)
    assert cli("sync", "--repo", str(app), env=env).returncode == 0
    mine = app / ".claude/commands/mine.md"
    mine.write_text("my own command")
    assert (app / ".claude/commands/ops-runbook.md").is_file()
    write_references(app, f"{{server: {running.url}}}", "demo/greet", targets=targets)
    result = cli("sync", "--repo", str(app), env=env)
    assert result.returncode == 0, result.output
    assert "3 removed" in result.stdout  # the runbook, its partial and its command
    assert not (app / ".claude/commands/ops-runbook.md").exists()
    assert not (app / ".prompt-engine/prompts/ops").exists()  # emptied folders go too
    assert mine.read_text() == "my own command"
    assert sorted(locked(app)["files"]) == [".claude/commands/demo-greet.md",
                                            ".prompt-engine/prompts/demo/greet.prompt.md"]


@pytest.mark.parametrize(("change", "expected"), [
    ({"path": "prompts/../../evil.prompt.md"}, "is not a prompt id and path of a prompt library"),
    ({"id": "../evil", "path": "prompts/../evil.prompt.md"}, "is not a prompt id and path"),
    ({"partials": {"../../../.bashrc": "rm -rf ~"}}, "'../../../.bashrc' is not a partial's"),
    ({"partials": {"/etc/_x": "x"}}, "'/etc/_x' is not a partial's path"),
])
def test_paths_from_the_source_never_leave_the_repository(
        cli: CliRunner, peer: Peer, start_server: ServerFactory, prompt_repo: Path, app: Path,
        env: dict[str, str], change: dict[str, Any], expected: str) -> None:
    running = start_server(prompt_repo)
    detail = httpx.get(f"{running.url}/api/v1/prompts/demo/greet").json()
    peer.script(json_answer({**detail, **change}))
    write_references(app, f"{{server: {peer.url}}}", "demo/greet@1")
    result = cli("sync", "--repo", str(app), env=env)
    assert result.returncode == 1, result.output
    assert expected in result.stderr
    assert sorted(p.name for p in app.parent.rglob("*") if "evil" in p.name or
                  p.name == ".bashrc") == []
    assert not (app / "prompt-engine.lock").exists()
