"""`promptctl serve` as a person starts it: a port in use is said plainly (exit 2) before any
work, and on a terminal one plain line says where the prompts are served."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import GOOD_PROMPT, CliRunner, RepoFactory


def test_a_port_in_use_is_a_usage_error_said_plainly(cli: CliRunner,
                                                     make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = cli("serve", "--repo", str(repo), "--port", str(port), "--no-index-cache")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: port {port} is in use on 127.0.0.1; pick another with --port (or PORT= for "
        "scripts/run), or stop what listens there")
    assert "{" not in result.stderr  # not a JSON log line
    assert time.monotonic() - started < 30


def test_on_a_terminal_serve_says_where_it_serves(make_repo: RepoFactory,
                                                  tmp_path: Path) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    master, slave = pty.openpty()
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptctl", "serve", "--repo", str(repo), "--port", "0",
         "--no-index-cache"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=slave, env=env)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"Ctrl-C to stop" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:  # the terminal closed: the server exited
                    break
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        os.close(master)
    lines = [line for line in seen.decode().splitlines() if line.startswith("Serving ")]
    assert len(lines) == 1, seen.decode()
    words = lines[0].split()
    url = words[4].rstrip(";")
    assert lines[0] == (f"Serving 1 prompt at {url}; docs at {url}/docs; Ctrl-C to stop")
    assert url.startswith("http://127.0.0.1:")
