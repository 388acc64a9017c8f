"""Desktop app benchmark: the two speed targets of ``promptctl desktop``, measured under Xvfb.

1. cold start (target 2 s): from starting ``python -m promptctl desktop --server URL`` (settings
   saved, the key in GNOME Keyring) to its main window mapped on the X server, and to the
   console in it loaded (its first call on the app's bridge, which the app logs); the app is
   stopped between runs, Qt's files stay in the page cache after the first (reported apart);
2. global shortcut to palette visible (target 150 ms), with the app running: from the shortcut's
   key presses (XTest, sent from this script's own X connection) to the X server's MapNotify of
   the palette window, and to the palette holding the keyboard focus (GetInputFocus polled on
   the same connection); Escape hides it between runs.

"Visible" is the X server's word: the window is mapped, above the others. Each run is timed on
this script's clock around its own X requests and events (no xdotool process in between).

Run: ``python bench/desktop.py [--runs N] [--json]`` after ``bash scripts/test`` (which installs
Xvfb, xdotool, GNOME Keyring and the desktop extra, and builds the console). Nothing is
asserted; the figures are printed next to their targets with the load average. Exits 0 without
measuring when Xvfb, dbus or gnome-keyring are missing (said on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from foundation import REPO_ROOT, free_port, git, load_average, log, new_key, served

TARGETS = {"cold_start_s": 2.0, "shortcut_ms": 150.0}
MAIN_TITLE = b"Prompt Engine"
PALETTE_TITLE = b"Prompt Engine palette"
PROMPT = textwrap.dedent("""\
    ---
    title: Greeting
    description: Greets someone by name.
    version: 1.0.0
    status: active
    owners: ["@bench/team"]
    tags: [demo]
    inputs:
      name: {type: string, required: true}
    ---
    Hello, {{ name }}.
    """)


@contextmanager
def x_session(home: Path) -> Iterator[dict[str, str]]:
    """Xvfb, a D-Bus session bus and an unlocked GNOME Keyring, all under ``home``."""
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("WAYLAND_DISPLAY", None)
    procs: list[subprocess.Popen[str]] = []
    try:
        read, write = os.pipe()
        procs.append(subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                                       "1280x800x24", "-nolisten", "tcp"], pass_fds=(write,),
                                      text=True, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        os.close(write)
        with os.fdopen(read) as displayfd:
            env["DISPLAY"] = ":" + displayfd.readline().strip()
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                "--print-address=1"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)
        procs.append(bus)
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        keyring = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock",
                                    "--components=secrets"], stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   text=True, env=env)
        procs.append(keyring)
        assert keyring.stdin is not None
        keyring.stdin.write("bench-session-password")
        keyring.stdin.close()
        yield env
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


class XWatch:
    """This script's X connection: MapNotify and UnmapNotify of top-level windows, and XTest key
    presses."""

    def __init__(self, display_name: str) -> None:
        from Xlib import X, display

        self.display = display.Display(display_name)
        self.root = self.display.screen().root
        self.root.change_attributes(event_mask=X.SubstructureNotifyMask)
        self.display.sync()

    def _title(self, window: Any) -> bytes:
        try:
            name = window.get_wm_name()
        except Exception:  # gone meanwhile
            return b""
        return name.encode() if isinstance(name, str) else (name or b"")

    def wait(self, kind: int, title: bytes, timeout: float = 30.0) -> tuple[float, Any]:
        """The clock when a window titled ``title`` is mapped (or unmapped), and the window."""
        deadline = time.perf_counter() + timeout
        fd = self.display.fileno()
        while True:
            while self.display.pending_events():
                event = self.display.next_event()
                if event.type == kind and self._title(event.window) == title:
                    return time.perf_counter(), event.window
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no {title!r} window event within {timeout} s")
            select.select([fd], [], [], min(left, 0.05))

    def drain(self) -> None:
        self.display.sync()
        while self.display.pending_events():
            self.display.next_event()

    def press(self, *names: str) -> float:
        """Press the keys in order and release them in reverse; the clock at the first press."""
        from Xlib import XK, X
        from Xlib.ext import xtest

        codes = [self.display.keysym_to_keycode(XK.string_to_keysym(name)) for name in names]
        started = time.perf_counter()
        for code in codes:
            xtest.fake_input(self.display, X.KeyPress, code)
        for code in reversed(codes):
            xtest.fake_input(self.display, X.KeyRelease, code)
        self.display.sync()
        return started

    def wait_focus(self, window: Any, timeout: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout
        while True:
            focus = self.display.get_input_focus().focus
            if getattr(focus, "id", None) == window.id:
                return time.perf_counter()
            if time.perf_counter() > deadline:
                raise TimeoutError("the palette never got the keyboard focus")
            time.sleep(0.001)


class App:
    """``promptctl desktop`` as a process; its log lines are read as they come (a pipe nobody
    reads would stop it), each with the clock it arrived at."""

    def __init__(self, env: dict[str, str], server: str) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "promptctl", "desktop", "--server",
                                      server], env=env, cwd=REPO_ROOT, text=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append((time.perf_counter(), line))

    def wait_line(self, text: str, timeout: float = 60.0) -> float:
        deadline = time.perf_counter() + timeout
        while True:
            for at, line in list(self.lines):
                if f"promptctl desktop: {text}" in line:
                    return at
            if self.proc.poll() is not None:
                raise RuntimeError(f"promptctl desktop exited ({self.proc.returncode}) before "
                                   f"logging {text!r}")
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no {text!r} within {timeout} s")
            time.sleep(0.005)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def summary(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "worst": max(samples), "best": min(samples),
            "runs": len(samples)}


def measure(runs: int, shortcut_runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-desktop-") as tmp:
        work = Path(tmp)
        repo = work / "repo"
        (repo / "prompts" / "demo").mkdir(parents=True)
        (repo / "prompts" / "demo" / "greet.prompt.md").write_text(PROMPT, encoding="utf-8")
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "a prompt")
        keys = work / "keys.yaml"
        token = new_key(keys, "desktop", "consumer")
        port = free_port()
        (work / "home").mkdir()
        with served(repo, port, keys, work, work / "cache", token), \
                x_session(work / "home") as env:
            server = f"http://127.0.0.1:{port}"
            subprocess.run([sys.executable, "-c", "import sys, keyring; keyring.set_password("
                            "'prompt-engine', sys.argv[1], sys.argv[2])", server, token],
                           env=env, check=True)
            watch = XWatch(env["DISPLAY"])
            mapped: list[float] = []
            loaded: list[float] = []
            app: App | None = None
            for run in range(runs):
                watch.drain()
                app = App(env, server)
                shown, _ = watch.wait(19, MAIN_TITLE)  # MapNotify
                up = app.wait_line("console loaded")
                mapped.append(shown - app.started)
                loaded.append(up - app.started)
                log(f"cold start {run + 1}: window mapped {mapped[-1]:.3f} s, console loaded "
                    f"{loaded[-1]:.3f} s")
                if run < runs - 1:
                    app.stop()
            assert app is not None
            app.wait_line("ready")
            time.sleep(1.0)  # the palette's page loaded too
            to_map: list[float] = []
            to_focus: list[float] = []
            for _ in range(shortcut_runs):
                watch.drain()
                pressed = watch.press("Control_L", "Alt_L", "space")
                shown, window = watch.wait(19, PALETTE_TITLE)
                focused = watch.wait_focus(window)
                to_map.append((shown - pressed) * 1000)
                to_focus.append((focused - pressed) * 1000)
                time.sleep(0.2)  # as a person would, before Escape (not measured)
                watch.press("Escape")
                watch.wait(18, PALETTE_TITLE)  # UnmapNotify
                time.sleep(0.3)
            log(f"shortcut to palette mapped (ms): {[round(v, 1) for v in to_map]}")
            app.stop()
            watch.display.close()
    return {
        "cold_start_window_s": summary(mapped[1:] or mapped),
        "cold_start_console_s": summary(loaded[1:] or loaded),
        "first_cold_start_window_s": mapped[0],
        "first_cold_start_console_s": loaded[0],
        "shortcut_to_mapped_ms": summary(to_map),
        "shortcut_to_focus_ms": summary(to_focus),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts (default 5)")
    parser.add_argument("--shortcut-runs", type=int, default=20,
                        help="shortcut presses (default 20)")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    missing = [name for name in ("Xvfb", "dbus-daemon", "gnome-keyring-daemon")
               if shutil.which(name) is None]
    if missing:
        log(f"skipped: {', '.join(missing)} missing (bash scripts/test installs them as root)")
        return 0
    before = load_average()
    figures = measure(options.runs, options.shortcut_runs)
    after = load_average()
    figures["load_before"], figures["load_after"] = before, after
    if options.json:
        print(json.dumps(figures, indent=2))
        return 0
    window, console = figures["cold_start_window_s"], figures["cold_start_console_s"]
    mapped, focus = figures["shortcut_to_mapped_ms"], figures["shortcut_to_focus_ms"]
    print(f"desktop app under Xvfb ({before} before, {after} after)")
    print(f"cold start to main window mapped: median {window['median']:.3f} s, worst "
          f"{window['worst']:.3f} s over {window['runs']} warm-cache runs (first run "
          f"{figures['first_cold_start_window_s']:.3f} s); target {TARGETS['cold_start_s']} s")
    print(f"cold start to console loaded:     median {console['median']:.3f} s, worst "
          f"{console['worst']:.3f} s (first run {figures['first_cold_start_console_s']:.3f} s)")
    print(f"shortcut to palette mapped:       median {mapped['median']:.1f} ms, worst "
          f"{mapped['worst']:.1f} ms over {mapped['runs']} presses; target "
          f"{TARGETS['shortcut_ms']:.0f} ms")
    print(f"shortcut to palette focused:      median {focus['median']:.1f} ms, worst "
          f"{focus['worst']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
