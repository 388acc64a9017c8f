"""``?version=`` and ``:versions`` over a real server: a version is what the branch merged, a
commit counts only where the served branch reaches it, and a consumer sees only the versions that
were active on the stable channel."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import RepoFactory, git
from tests.server.conftest import Keys, ServerFactory, commit_files, prompt

PATH = "prompts/demo/greet.prompt.md"


def greet(version: str, greeting: str, status: str = "active", channel: str = "stable") -> str:
    return prompt(version=version, status=status, channel=channel,
                  body=f"{greeting}, {{{{ name }}}}{{% if excited %}}!{{% endif %}}")


def render(client: httpx.Client, spec: str) -> httpx.Response:
    return client.post("/api/v1/prompts/demo/greet:render",
                       json={"inputs": {"name": "Ada"}, "version": spec})


def test_a_version_is_the_merged_content(start_server: ServerFactory,
                                         make_repo: RepoFactory) -> None:
    repo = make_repo({PATH: greet("1.0.0", "A")})
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {PATH: greet("1.1.0", "X")}, "1.1.0 with a typo")
    commit_files(repo, {PATH: greet("1.1.0", "B")}, "fix the typo")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "feature")
    merge = git(repo, "rev-parse", "HEAD").strip()
    commit_files(repo, {PATH: greet("1.2.0", "C")}, "1.2.0")
    client = start_server(repo).client()
    got = client.get("/api/v1/prompts/demo/greet", params={"version": "1.1.0"}).json()
    assert (got["version"], got["commit"]) == ("1.1.0", merge)
    assert got["messages"][0]["content"].startswith("B, ")
    assert render(client, "1.1").json()["text"] == "B, Ada"
    versions = client.get("/api/v1/prompts/demo/greet:versions").json()["versions"]
    assert [(v["version"], v["commit"]) for v in versions][1] == ("1.1.0", merge)


def test_only_commits_the_served_branch_reaches_name_content(
        start_server: ServerFactory, make_repo: RepoFactory) -> None:
    repo = make_repo({PATH: greet("1.0.0", "Hello")})
    git(repo, "checkout", "-q", "-b", "pr")
    secret = commit_files(repo, {PATH: greet("1.1.0", "Unmerged")}, "never merged")
    git(repo, "checkout", "-q", "main")
    git(repo, "update-ref", "refs/pull/7/head", secret)  # what a --mirror clone fetches
    git(repo, "branch", "-q", "-D", "pr")
    head = commit_files(repo, {PATH: greet("1.2.0", "Hi")}, "1.2.0")
    client = start_server(repo).client()
    missing = "0123456789abcdef0123456789abcdef01234567"
    for spec in (secret, secret[:8]):
        unknown = missing[: len(spec)]
        answers = [client.get("/api/v1/prompts/demo/greet", params={"version": spec}),
                   render(client, spec)]
        for answer in answers:
            assert answer.status_code == 404
            assert "Unmerged" not in answer.text
            # The same body as for a commit that does not exist.
            twin = client.get("/api/v1/prompts/demo/greet", params={"version": unknown})
            assert answer.json() == {"error": {
                "code": "not_found",
                "message": twin.json()["error"]["message"].replace(unknown, spec)}}
    reached = client.get("/api/v1/prompts/demo/greet", params={"version": head[:10]}).json()
    assert reached["commit"] == head


@pytest.fixture
def channels_repo(make_repo: RepoFactory) -> tuple[Path, dict[str, str]]:
    """1.0.0 a draft, 1.1.0 experimental, 1.2.0 and 1.3.0 active on the stable channel."""
    repo = make_repo({PATH: greet("1.0.0", "Draft", status="draft")})
    commits = {"1.0.0": git(repo, "rev-parse", "HEAD").strip()}
    commits["1.1.0"] = commit_files(repo, {PATH: greet("1.1.0", "Trial",
                                                       channel="experimental")}, "trial")
    commits["1.2.0"] = commit_files(repo, {PATH: greet("1.2.0", "Hi")}, "stable")
    commits["1.3.0"] = commit_files(repo, {PATH: greet("1.3.0", "Hey")}, "stable again")
    return repo, commits


def test_a_consumer_sees_only_versions_active_on_the_stable_channel(
        start_server: ServerFactory, channels_repo: tuple[Path, dict[str, str]],
        keys: Keys) -> None:
    repo, commits = channels_repo
    running = start_server(repo, keys_file=keys.path)
    consumer = running.client(keys.headers("consumer"))
    contributor = running.client(keys.headers("contributor"))
    listed = consumer.get("/api/v1/prompts/demo/greet:versions").json()["versions"]
    assert [v["version"] for v in listed] == ["1.2.0", "1.3.0"]
    seen = consumer.get("/api/v1/prompts/demo/greet:versions").text
    for hidden in ("1.0.0", "1.1.0"):
        assert commits[hidden] not in seen
    everything = contributor.get("/api/v1/prompts/demo/greet:versions").json()["versions"]
    assert [v["version"] for v in everything] == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
    for hidden in ("1.0.0", "1.1.0"):
        by_version = consumer.get("/api/v1/prompts/demo/greet", params={"version": hidden})
        absent = consumer.get("/api/v1/prompts/demo/greet", params={"version": "1.0.9"})
        assert by_version.status_code == 404
        assert by_version.json()["error"]["message"] == absent.json()["error"]["message"].replace(
            "1.0.9", hidden)
        by_commit = consumer.get("/api/v1/prompts/demo/greet", params={"version": commits[hidden]})
        unknown = "f" * 40
        twin = consumer.get("/api/v1/prompts/demo/greet", params={"version": unknown})
        assert by_commit.status_code == twin.status_code == 404
        assert by_commit.json()["error"]["message"] == twin.json()["error"]["message"].replace(
            unknown, commits[hidden])
        assert contributor.get("/api/v1/prompts/demo/greet",
                               params={"version": hidden}).status_code == 200
    assert render(consumer, "1").json()["version"] == "1.3.0"
    assert render(consumer, "1.1").status_code == 404


@pytest.mark.parametrize("spec", ["9" * 5000, "1." + "9" * 5000, "x" * 101])
def test_an_overlong_version_answers_422(start_server: ServerFactory,
                                         make_repo: RepoFactory, spec: str) -> None:
    client = start_server(make_repo({PATH: greet("1.0.0", "Hello")})).client()
    for answer in (render(client, spec),
                   client.get("/api/v1/prompts/demo/greet", params={"version": spec})):
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "invalid_request"
