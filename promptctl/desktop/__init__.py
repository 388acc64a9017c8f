"""The desktop app: the web console in a native window, a global shortcut that brings up a
compact palette over whatever is in front, the API key in the operating system's keychain, and
the rendered text pasted into the window that was active before.

- ``config``: the server's address and the shortcut, in a small file (never the key);
- ``keychain``: the key in the OS keychain, through ``keyring``;
- ``platform``: what differs per operating system (global shortcut, active window, paste) behind
  one small interface; ``x11`` is Linux's, ``macos`` and ``windows`` the others';
- ``shell``: the app's state and what the console's pages may ask of it (the bridge's calls);
- ``qtwindows``: the windows (Qt WebEngine, PySide6) and the web channel the bridge rides on;
- ``app``: ``start``, the settings and the command line's options put together.

Nothing here imports typer; ``promptctl desktop`` (``promptctl.cli.desktop``) and the packaged
app's launcher (packaging/desktop/launch.py) are thin adapters over ``app.start``.
"""
