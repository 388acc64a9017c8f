"""``promptctl keys list`` and ``keys revoke`` against a running server: a revoked key is refused
from the next request, without a restart, and ``list`` shows when each key was last used."""

from __future__ import annotations

import re
import time
from pathlib import Path

from server.auth import UsageTimes, now, read_last_used
from tests.conftest import CliRunner
from tests.server.conftest import Keys, ServerFactory


def test_revoked_key_is_refused_by_the_running_server(
        cli: CliRunner, library_repo: Path, keys: Keys, start_server: ServerFactory) -> None:
    running = start_server(library_repo, keys_file=keys.path)
    consumer = running.client(keys.headers("consumer"))
    assert consumer.get("/api/v1/prompts").status_code == 200
    revoked = cli("keys", "revoke", "desktop-app", "--keys", str(keys.path))
    assert revoked.returncode == 0, revoked.output
    assert "Revoked key 'desktop-app' (consumer)" in revoked.stdout
    answer = consumer.get("/api/v1/prompts")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    # The other keys still work, and a key added now works at once too.
    assert running.client(keys.headers("admin")).get("/api/v1/prompts").status_code == 200
    added = cli("keys", "add", "late", "--role", "consumer", "--keys", str(keys.path))
    late = running.client({"Authorization": f"Bearer {added.stdout.strip()}"})
    assert late.get("/api/v1/prompts").status_code == 200


def test_revoking_an_unknown_key_is_a_usage_error(cli: CliRunner, keys: Keys) -> None:
    result = cli("keys", "revoke", "nobody", "--keys", str(keys.path))
    assert result.returncode == 2
    assert "has no key named 'nobody' (its keys: desktop-app, alice, ops)" in result.stderr


def test_keys_list_shows_roles_teams_created_and_last_used_never_secrets(
        cli: CliRunner, library_repo: Path, keys: Keys, start_server: ServerFactory) -> None:
    before = cli("keys", "list", "--keys", str(keys.path), "--json")
    assert before.returncode == 0, before.output
    rows = before.json()
    assert [(r["name"], r["role"], r["team"]) for r in rows] == [
        ("desktop-app", "consumer", "design"), ("alice", "contributor", "platform"),
        ("ops", "admin", "platform")]
    for row in rows:
        assert set(row) == {"name", "role", "team", "created", "last_used"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["created"])
        assert row["last_used"] is None
    running = start_server(library_repo, keys_file=keys.path)
    assert running.client(keys.headers("contributor")).get("/api/v1/tags").status_code == 200
    after = {r["name"]: r for r in cli("keys", "list", "--keys", str(keys.path),
                                       "--json").json()}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", after["alice"]["last_used"] or "")
    assert after["desktop-app"]["last_used"] is None
    text = cli("keys", "list", "--keys", str(keys.path))
    assert text.returncode == 0
    assert "alice" in text.stdout
    assert "never" in text.stdout
    secrets = [keys.consumer, keys.contributor, keys.admin]
    stored = keys.path.read_text()
    hashes = re.findall(r"sha256: ([0-9a-f]{64})", stored)
    for secret in [*secrets, *hashes]:
        assert secret not in text.stdout + before.stdout


def test_a_key_used_again_in_a_later_second_is_noted_at_that_second(tmp_path: Path) -> None:
    """The time a key was used is formatted once a second for every request: the next second's
    request notes the next second."""
    path = tmp_path / "keys.yaml.last-used.json"
    times = UsageTimes(path, interval=3600)
    started = now()
    times.used("alice")  # the first use is written at once
    assert started <= read_last_used(path)["alice"] <= now()
    while now() == started:
        time.sleep(0.02)
    later = now()
    times.used("alice")
    times.flush()
    assert later <= read_last_used(path)["alice"] <= now()
