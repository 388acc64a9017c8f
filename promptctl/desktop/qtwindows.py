"""The desktop app's Qt side: the application, the browser profile both windows share, the two
windows (QWebEngineView) and the QWebChannel the pages call the app through.

The bridge's script (Qt's qwebchannel.js, then bridge.js) is injected into each page at document
creation: injected by the embedder, it runs under the console's Content-Security-Policy, which
refuses inline scripts and ``eval``. Calls arrive on Qt's main thread and run on a worker thread
(the keychain and paste wait on other processes); whatever touches a widget goes back to the main
thread through ``Gui``. PySide6 is imported only when these are built, so ``promptctl --help``
never loads Qt.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from promptctl.desktop.shell import DesktopApp

HERE = Path(__file__).parent
MAIN_TITLE = "Prompt Engine"
PALETTE_TITLE = "Prompt Engine palette"
MAIN_SIZE = (1100, 760)
PALETTE_SIZE = (680, 440)
GUI_TIMEOUT = 10.0
CALLS = ("state", "save_key", "forget_key", "copy_text", "insert_text", "hide_palette",
         "open_link", "connect")

class QtWindows:
    """The application object, the shared browser profile and the two windows."""

    def __init__(self, app: DesktopApp, data_dir: Path) -> None:
        from PySide6.QtCore import QCoreApplication, Qt
        from PySide6.QtWebEngineCore import QWebEngineProfile  # before the QApplication
        from PySide6.QtWidgets import QApplication

        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        existing = QApplication.instance()
        self.application = existing if isinstance(existing, QApplication) else QApplication(
            [sys.argv[0]])
        self.application.setApplicationName("Prompt Engine")
        self.application.setQuitOnLastWindowClosed(False)
        self.gui = Gui()
        # One persistent profile: the console's favorites, recent prompts and cached shell
        # (IndexedDB, the service worker) stay between runs and are shared by both windows.
        self.profile = QWebEngineProfile("prompt-engine")
        self.profile.setPersistentStoragePath(str(data_dir / "storage"))
        self.profile.setCachePath(str(data_dir / "cache"))
        self.channel = _Channel(app)
        script = _bridge_script()
        self.main = _Window(self, MAIN_TITLE, script, palette=False)
        self.palette = _Window(self, PALETTE_TITLE, script, palette=True)
        self.main.closed = self.application.quit

    def exec(self) -> int:
        """Run until the main window closes, or Ctrl-C / SIGTERM (Python's handlers run only
        when Python does: a timer gives them the chance every 200 ms)."""
        import signal

        from PySide6.QtCore import QTimer

        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: self.application.quit())
        tick = QTimer()
        tick.timeout.connect(lambda: None)
        tick.start(200)
        return int(self.application.exec())

    def copy(self, text: str) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.clipboard().setText(text)

    def tell(self, state_json: str) -> None:
        self.gui.later(lambda: self.channel.stateChanged.emit(state_json))

    def present_palette(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        view = self.palette.view
        screen = self.application.primaryScreen().availableGeometry()
        view.move(screen.center().x() - view.width() // 2, screen.top() + screen.height() // 5)
        view.show()
        view.raise_()
        view.activateWindow()

        def focus() -> None:
            # Once the window is active (X's FocusIn has been handled), the page gets the
            # keyboard: without this the web view sometimes keeps it from the last time.
            view.activateWindow()
            view.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
            proxy = view.focusProxy()
            if proxy is not None:
                proxy.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

        focus()
        QTimer.singleShot(30, focus)

    def hide_palette(self) -> None:
        view = self.palette.view
        view.clearFocus()
        view.hide()


class _Window:
    """A QWebEngineView as a top-level window, its page on the shared profile with the bridge
    injected; links to other sites open in the system's browser."""

    def __init__(self, qt: QtWindows, title: str, script: str, *, palette: bool) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWebEngineCore import QWebEngineScript
        from PySide6.QtWebEngineWidgets import QWebEngineView

        self.closed: Callable[[], None] | None = None
        self.view = view = _view_class()()
        view.owner = self
        page = _page_class()(qt.profile, view)
        view.setPage(page)
        page.setWebChannel(qt.channel.web_channel)
        injected = QWebEngineScript()
        injected.setName("prompt-engine-bridge")
        injected.setSourceCode(script)
        injected.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
        injected.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        injected.setRunsOnSubFrames(False)
        page.scripts().insert(injected)
        view.setWindowTitle(title)
        if palette:
            view.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint
                                | Qt.WindowType.WindowStaysOnTopHint)
            view.resize(*PALETTE_SIZE)
        else:
            view.resize(*MAIN_SIZE)
            view.setMinimumSize(480, 360)
        assert isinstance(view, QWebEngineView)

    def load(self, url: str) -> None:
        from PySide6.QtCore import QUrl

        self.view.page().allowed_origin = _origin(url)
        self.view.setUrl(QUrl(url))

    def show_html(self, html: str) -> None:
        from PySide6.QtCore import QUrl

        self.view.setHtml(html, QUrl("about:blank"))

    def show(self) -> None:
        self.view.show()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_classes: dict[str, Any] = {}


def _view_class() -> Any:
    """QWebEngineView that tells its owner when closed (the main window's close quits)."""
    if "view" not in _classes:
        from PySide6.QtGui import QCloseEvent
        from PySide6.QtWebEngineWidgets import QWebEngineView

        class View(QWebEngineView):
            owner: _Window | None = None

            def closeEvent(self, event: QCloseEvent) -> None:
                super().closeEvent(event)
                if self.owner is not None and self.owner.closed is not None:
                    self.owner.closed()

        _classes["view"] = View
    return _classes["view"]


def _page_class() -> Any:
    """QWebEnginePage that keeps navigation on the server and sends other links to the
    system's browser (the bridge must not be offered to another site)."""
    if "page" not in _classes:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices
        from PySide6.QtWebEngineCore import QWebEnginePage

        class Page(QWebEnginePage):
            allowed_origin: str | None = None

            def acceptNavigationRequest(self, url: QUrl | str, kind: Any,
                                        main_frame: bool) -> bool:
                url = QUrl(url)
                text = url.toString()
                if text.startswith(("about:", "data:")) or (
                        self.allowed_origin and _origin(text) == self.allowed_origin):
                    return True
                if url.scheme() in ("http", "https"):
                    QDesktopServices.openUrl(url)
                return False

        _classes["page"] = Page
    return _classes["page"]


class Gui:
    """Runs functions on Qt's main thread: a QObject made there, whose signal carries them (a
    signal emitted on another thread is delivered on the receiver's, queued)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QObject, Signal, Slot

        class Caller(QObject):
            call = Signal(object)

            @Slot(object)
            def run(self, job: Callable[[], None]) -> None:
                job()

        self._caller = Caller()
        self._caller.call.connect(self._caller.run)

    def later(self, job: Callable[[], None]) -> None:
        self._caller.call.emit(job)

    def wait(self, job: Callable[[], Any]) -> Any:
        if threading.current_thread() is threading.main_thread():
            return job()
        done = threading.Event()
        result: list[Any] = []

        def run() -> None:
            try:
                result.append(job())
            finally:
                done.set()

        self.later(run)
        if not done.wait(GUI_TIMEOUT):
            raise RuntimeError("the window did not answer")
        return result[0] if result else None


class _Channel:
    """The QWebChannel's ``shell`` object: ``call(name, args, id)`` from the page, answered by
    the ``answered(id, json)`` signal once the worker thread is done."""

    def __init__(self, app: DesktopApp) -> None:
        from PySide6.QtCore import QObject, Signal, Slot
        from PySide6.QtWebChannel import QWebChannel

        class Shell(QObject):
            answered = Signal(int, str)
            stateChanged = Signal(str)

            @Slot(str, str, int)
            def call(self, name: str, args_json: str, call_id: int) -> None:
                threading.Thread(target=self._run, args=(name, args_json, call_id),
                                 name=f"bridge-{name}", daemon=True).start()

            def _run(self, name: str, args_json: str, call_id: int) -> None:
                try:
                    if name not in CALLS:
                        raise ValueError(f"no call {name!r}")
                    args = json.loads(args_json)
                    answer = {"ok": True, "value": app.call(name, list(args))}
                except Exception as exc:  # answered to the page, which shows it
                    answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                self.answered.emit(call_id, json.dumps(answer))

        self.shell = Shell()
        self.stateChanged = self.shell.stateChanged
        self.web_channel = QWebChannel()
        self.web_channel.registerObject("shell", self.shell)


def _bridge_script() -> str:
    """Qt's qwebchannel.js (from its resources) followed by bridge.js."""
    from PySide6 import QtWebChannel  # noqa: F401 (loads the resource)
    from PySide6.QtCore import QFile, QIODevice

    resource = QFile(":/qtwebchannel/qwebchannel.js")
    if not resource.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("Qt's qwebchannel.js is missing from PySide6; reinstall it")
    channel = bytes(resource.readAll().data()).decode("utf-8")
    resource.close()
    return channel + "\n" + (HERE / "bridge.js").read_text(encoding="utf-8")
