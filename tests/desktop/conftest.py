"""The desktop app's fixtures: an X server (Xvfb), a D-Bus session bus with GNOME Keyring's
Secret Service on it (the real keychain ``keyring`` talks to), a small Tk window to paste into,
and ``promptctl desktop`` itself as a process, with Qt WebEngine's DevTools port open so that a
test can wait on its pages (tests/desktop/cdp.py).

Everything lives under one temporary home per module; nothing touches the user's own session.
Skipped, saying what to install, where the system lacks the programs (``bash scripts/test``
installs them as root: scripts/desktop.sh).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import interrupt
from tests.web.conftest import (
    free_port,
    require_built_console,
    screenshots,  # noqa: F401 (the console's screenshot folder)
)

COMMANDS = ("Xvfb", "xdotool", "dbus-daemon", "gnome-keyring-daemon")
TARGET = Path(__file__).with_name("target.py")
PALETTE = "^Prompt Engine palette$"
MAIN = "^Prompt Engine$"
START_SECONDS = 30.0


def require_desktop_system() -> None:
    missing = [name for name in COMMANDS if shutil.which(name) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: the desktop tests need Xvfb, xdotool, "
                    "dbus and gnome-keyring (bash scripts/test installs them as root: "
                    "scripts/desktop.sh)")
    probe = subprocess.run([sys.executable, "-c", "from PySide6 import QtWebEngineWidgets; "
                            "import tkinter"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip("Qt WebEngine or Tk does not load here (install the `desktop` extra and "
                    f"the libraries scripts/desktop.sh lists): {probe.stderr.strip()[-300:]}")


@dataclass
class XSession:
    """An X display, a session bus and an unlocked keychain, in ``home``."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self) -> None:
        runtime = self.home / "run"
        runtime.mkdir(mode=0o700, parents=True)
        self.env = {**os.environ, "HOME": str(self.home),
                    "XDG_CONFIG_HOME": str(self.home / "config"),
                    "XDG_DATA_HOME": str(self.home / "data"),
                    "XDG_CACHE_HOME": str(self.home / "cache"), "XDG_RUNTIME_DIR": str(runtime)}
        self.env.pop("WAYLAND_DISPLAY", None)
        read, write = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                                 "-nolisten", "tcp"], pass_fds=(write,), text=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        self.procs.append(xvfb)
        with os.fdopen(read) as displayfd:
            self.env["DISPLAY"] = ":" + displayfd.readline().strip()
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                "--print-address=1"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=self.env)
        self.procs.append(bus)
        assert bus.stdout is not None
        self.env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        # A login keyring created and unlocked with this password, as a desktop session does.
        keyring = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock",
                                    "--components=secrets"], stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   text=True, env=self.env)
        self.procs.append(keyring)
        assert keyring.stdin is not None
        keyring.stdin.write("test-session-password")
        keyring.stdin.close()

    def stop(self) -> None:
        for proc in reversed(self.procs):
            interrupt(proc)
            if proc.stdout is not None:
                proc.stdout.close()
        self.procs.clear()

    def xdotool(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["xdotool", *args], capture_output=True, text=True, env=self.env,
                              check=False, timeout=10)
        assert not check or done.returncode == 0, done.stderr
        return done.stdout.strip()

    def visible(self, title: str) -> str | None:
        found = self.xdotool("search", "--onlyvisible", "--name", title, check=False)
        return found.splitlines()[0] if found else None

    def wait_visible(self, title: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while (window := self.visible(title)) is None:
            assert time.monotonic() < deadline, f"no window {title} shows"
            time.sleep(0.02)
        return window

    def wait_hidden(self, title: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.visible(title) is not None:
            assert time.monotonic() < deadline, f"window {title} stays shown"
            time.sleep(0.02)

    def wait_focus(self, window: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.xdotool("getwindowfocus", check=False) != window:
            assert time.monotonic() < deadline, f"window {window} never gets the focus"
            time.sleep(0.02)

    def keychain(self, server: str) -> str | None:
        """What the keychain holds for ``server``, read by ``keyring`` in another process."""
        read = subprocess.run([sys.executable, "-c", "import sys, keyring; "
                               "print(keyring.get_password('prompt-engine', sys.argv[1]) or '')",
                               server], capture_output=True, text=True, env=self.env, check=True)
        return read.stdout.strip() or None

    def screenshot(self, path: Path) -> None:
        """The whole screen as a PNG (python-xlib's GetImage, written without an image
        library)."""
        from Xlib import X, display

        screen = display.Display(self.env["DISPLAY"])
        try:
            root = screen.screen().root
            geometry = root.get_geometry()
            width, height = geometry.width, geometry.height
            raw = root.get_image(0, 0, width, height, X.ZPixmap, 0xFFFFFFFF).data
        finally:
            screen.close()
        rows = b"".join(b"\x00" + bytes(
            value for i in range(y * width * 4, (y + 1) * width * 4, 4)
            for value in (raw[i + 2], raw[i + 1], raw[i]))
            for y in range(height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

        path.write_bytes(b"\x89PNG\r\n\x1a\n"
                         + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                         + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def xsession(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XSession]:
    require_desktop_system()
    require_built_console()
    session = XSession(tmp_path_factory.mktemp("desktop-home"))
    try:
        session.start()
        yield session
    finally:
        session.stop()


@dataclass
class Target:
    """A Tk text field (tests/desktop/target.py) that writes what it holds to ``out``."""

    window: str
    out: Path
    proc: subprocess.Popen[str]

    def text(self) -> str:
        return self.out.read_text(encoding="utf-8") if self.out.exists() else ""

    def wait_text(self, wanted: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while wanted not in (text := self.text()):
            assert time.monotonic() < deadline, f"the target holds {text!r}, not {wanted!r}"
            time.sleep(0.05)
        return text


@pytest.fixture(scope="module")
def target(xsession: XSession) -> Iterator[Target]:
    out = xsession.home / "target.txt"
    proc = subprocess.Popen([sys.executable, str(TARGET), str(out)], env=xsession.env,
                            text=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield Target(xsession.wait_visible("^Paste target$"), out, proc)
    finally:
        interrupt(proc)


@dataclass
class DesktopApp:
    """``promptctl desktop`` as a process in ``xsession``; its stderr goes to ``log``."""

    xsession: XSession
    devtools: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    @property
    def log(self) -> Path:
        return self.xsession.home / "desktop.log"

    def start(self, *args: str) -> None:
        env = {**self.xsession.env, "QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{self.devtools}"}
        with self.log.open("w", encoding="utf-8") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "promptctl", "desktop", *args],
                                         env=env, text=True, stdout=subprocess.DEVNULL,
                                         stderr=log)

    def wait_log(self, text: str, timeout: float = START_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while text not in (log := self.log.read_text(encoding="utf-8", errors="replace")):
            assert self.proc is not None
            assert self.proc.poll() is None, f"promptctl desktop exited: {log[-3000:]}"
            assert time.monotonic() < deadline, f"never logged {text!r}: {log[-3000:]}"
            time.sleep(0.05)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            interrupt(proc)


@pytest.fixture(scope="module")
def desktop(xsession: XSession) -> Iterator[DesktopApp]:
    app = DesktopApp(xsession)
    try:
        yield app
    finally:
        app.stop()
