"""The desktop app: what its windows' pages may ask of it, the key, and the palette's life.

Two windows show the console the server serves (``/?shell=desktop``): the main one, and the
palette (``&view=palette``), compact, frameless and above the others, created hidden at start so
that the global shortcut only has to show it. In them the console replaces its platform module
(web/src/desktop.ts) with ``window.promptEngineDesktop`` (bridge.js): the key lives here (and in
the keychain), the clipboard is Qt's, and paste goes through ``promptctl.desktop.platform``.

The windows themselves (Qt WebEngine, PySide6) are ``promptctl.desktop.qtwindows``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptctl.desktop import config as settings
from promptctl.desktop import keychain
from promptctl.desktop.config import DesktopConfig
from promptctl.desktop.platform import Platform, Shortcut, ShortcutTaken
from promptctl.errors import UsageError

if TYPE_CHECKING:
    from promptctl.desktop.qtwindows import QtWindows

CHECK_TIMEOUT = 5.0
HERE = Path(__file__).parent

Log = Callable[[str], None]


@dataclass
class Session:
    """The server and its key as this run knows them, and the palette's target."""

    server: str | None
    key: str | None = None
    remember: bool = False
    keychain_problem: str | None = None  # why the key is kept for this run only
    shortcut_problem: str | None = None
    previous: object | None = None  # the window in front when the palette was called
    palette_visible: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class DesktopApp:
    """One run of ``promptctl desktop``: build it with the settings, ``run()`` until the main
    window closes."""

    def __init__(self, config: DesktopConfig, platform: Platform, *, config_file: Path,
                 data_dir: Path, log: Log) -> None:
        self._config = config
        self._platform = platform
        self._config_file = config_file
        self._data_dir = data_dir
        self._log = log
        self._session = Session(server=config.server)
        self._shortcut: Shortcut | None = None
        self._console_up = False
        self._qt: QtWindows | None = None
        if config.server:
            self._load_key(config.server)

    # -- life -------------------------------------------------------------------------------

    def run(self) -> int:
        _prepare_qt_environment()
        self._data_dir.mkdir(parents=True, exist_ok=True)
        from promptctl.desktop.qtwindows import QtWindows

        self._qt = qt = QtWindows(self, self._data_dir)
        server = self._session.server
        if server:
            qt.main.load(_page(server))
            qt.palette.load(_page(server, palette=True))
        else:
            qt.main.show_html((HERE / "setup.html").read_text(encoding="utf-8"))
            self._log("first run: asking for the server's address")
        qt.main.show()
        self._log("window shown")
        if server:
            self._start_shortcut()
        try:
            return qt.exec()
        finally:
            self._close_shortcut()

    def _start_shortcut(self) -> None:
        keys = self._config.shortcut
        try:
            self._shortcut = self._platform.register_shortcut(keys, self.summon)
        except ShortcutTaken as exc:
            self._session.shortcut_problem = str(exc)
            self._log(f"the global shortcut is off: {exc}")
            return
        self._log(f"ready: {keys} brings up the palette")

    def _close_shortcut(self) -> None:
        shortcut, self._shortcut = self._shortcut, None
        if shortcut is not None:
            shortcut.close()

    # -- the bridge's calls (on a worker thread) ----------------------------------------------

    def call(self, name: str, args: list[Any]) -> Any:
        """One call of the page's ``window.promptEngineDesktop``."""
        if name == "state":
            return self.state()
        if name == "save_key":
            return self.save_key(str(args[0]), bool(args[1]))
        if name == "forget_key":
            return self.save_key(None, False)
        if name == "copy_text":
            return self.copy(str(args[0]))
        if name == "insert_text":
            return self.insert(str(args[0]))
        if name == "hide_palette":
            return self.hide_palette()
        if name == "open_link":
            url = str(args[0])
            if url.startswith(("https://", "http://")):
                webbrowser.open(url)
            return None
        if name == "connect":
            return self.connect(str(args[0]), str(args[1]).strip(), bool(args[2]))
        raise ValueError(f"no call {name!r}")

    def state(self) -> dict[str, Any]:
        session = self._session
        if not self._console_up:
            self._console_up = True
            self._log("console loaded")
        return {
            "server": session.server,
            "key": session.key,
            "remember": session.remember,
            "keychain": session.keychain_problem,
            "shortcut": self._config.shortcut,
            "shortcutProblem": session.shortcut_problem,
            "pasteProblem": self._platform.paste_unavailable(),
            "platform": self._platform.name,
        }

    def _load_key(self, server: str) -> None:
        try:
            key = keychain.load(server)
        except keychain.KeychainUnavailable as exc:
            self._session.keychain_problem = str(exc)
            self._log(f"the key is kept for this run only: {exc}")
            return
        self._session.key, self._session.remember = key, key is not None

    def save_key(self, key: str | None, remember: bool) -> dict[str, Any]:
        session = self._session
        session.key, session.remember = key, remember and key is not None
        problem = None
        if session.server:
            try:
                if key is not None and remember:
                    keychain.store(session.server, key)
                else:
                    keychain.forget(session.server)
            except keychain.KeychainUnavailable as exc:
                problem = session.keychain_problem = str(exc)
                session.remember = False
                self._log(f"the key is kept for this run only: {exc}")
        if self._qt is not None:  # both windows learn of a sign-in or sign-out in either
            self._qt.tell(json.dumps(self.state()))
        return {"ok": problem is None, "message": problem or ""}

    def copy(self, text: str) -> None:
        assert self._qt is not None
        self._qt.gui.wait(lambda: self._qt.copy(text) if self._qt else None)

    def insert(self, text: str) -> dict[str, Any]:
        """Copy ``text``, hide the palette and paste into the window that was in front; where
        that cannot be, the text stays copied and the answer says why."""
        self.copy(text)
        why = self._platform.paste_unavailable()
        previous = self._session.previous
        if why or previous is None:
            reason = why or "no window was in front when the palette opened"
            return {"pasted": False, "message": f"Copied; paste it yourself: {reason}."}
        self.hide_palette()
        pasted = self._platform.paste(previous, self._config.paste_keys)
        if not pasted.pasted:
            self._present(remember=False)  # to say why
        return {"pasted": pasted.pasted, "message": pasted.message}

    def hide_palette(self) -> None:
        assert self._qt is not None
        qt = self._qt
        qt.gui.wait(qt.hide_palette)
        self._session.palette_visible = False

    def connect(self, server: str, key: str, remember: bool) -> dict[str, Any]:
        """The first-run page's form: check the server answers and takes the key, then keep
        both and open the console."""
        try:
            url = settings.server_url(server)
        except UsageError as exc:
            return {"ok": False, "message": exc.message}
        problem = check_server(url, key or None)
        if problem:
            return {"ok": False, "message": problem}
        self._config = self._config.with_server(url)
        settings.save(self._config, self._config_file)
        self._session.server = url
        self.save_key(key or None, remember)
        qt = self._qt
        assert qt is not None

        def open_console() -> None:
            qt.main.load(_page(url))
            qt.palette.load(_page(url, palette=True))

        qt.gui.wait(open_console)
        self._start_shortcut()
        self._log(f"connected to {url}")
        return {"ok": True, "message": ""}

    # -- the palette --------------------------------------------------------------------------

    def summon(self) -> None:
        """The global shortcut (on its own thread): note the window in front, then show the
        palette over it."""
        self._present(remember=True)

    def _present(self, *, remember: bool) -> None:
        qt = self._qt
        if qt is None or not self._session.server:
            return
        session = self._session
        with session.lock:
            if remember and not session.palette_visible:
                session.previous = self._platform.active_window()
            session.palette_visible = True
        qt.gui.later(qt.present_palette)


def check_server(server: str, key: str | None) -> str | None:
    """Why ``server`` cannot be used with ``key`` (None: it can): it must answer /healthz, and
    /api/v1/me with the key."""
    try:
        with urllib.request.urlopen(f"{server}/healthz", timeout=CHECK_TIMEOUT) as answer:  # noqa: S310 (http(s) only: config.server_url)
            answer.read()
    except (urllib.error.URLError, OSError) as exc:
        return (f"{server} does not answer ({getattr(exc, 'reason', exc)}); is promptctl serve "
                "running there?")
    request = urllib.request.Request(f"{server}/api/v1/me", headers={  # noqa: S310
        "X-Client-Type": "desktop", **({"Authorization": f"Bearer {key}"} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=CHECK_TIMEOUT) as answer:  # noqa: S310
            answer.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return ("the server refused the key" if key else
                    "the server asks for an API key: paste one")
        return f"the server answered {exc.code} to /api/v1/me"
    except (urllib.error.URLError, OSError) as exc:
        return f"{server} does not answer ({getattr(exc, 'reason', exc)})"
    return None


def _page(server: str, *, palette: bool = False) -> str:
    return f"{server}/?shell=desktop" + ("&view=palette" if palette else "")


def _prepare_qt_environment() -> None:
    if sys.platform == "linux" and os.geteuid() == 0:
        # Chromium's sandbox refuses to run as root (containers, CI): run without it there.
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    # Qt WebEngine's GPU probing and Chromium's own logging say nothing useful to a user.
    os.environ.setdefault("QT_LOGGING_RULES", "qt.webenginecontext.info=false")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--log-level" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --log-level=3".strip()


def stderr_log(message: str) -> None:
    print(f"promptctl desktop: {message} ({time.strftime('%H:%M:%S')})", file=sys.stderr,
          flush=True)
