"""The desktop app: the web console in a native window, a global shortcut that brings up a
compact palette over whatever is in front, the API key in the operating system's keychain, and
the rendered text pasted into the window that was active before.

- ``config``: the server's address and the shortcut, in a small file (never the key);
- ``keychain``: the key in the OS keychain, through ``keyring``;
- ``platform``: what differs per operating system (global shortcut, active window, paste) behind
  one small interface; ``x11`` is Linux's, ``macos`` and ``windows`` the others';
- ``shell``: the windows (pywebview over Qt WebEngine) and the bridge the web app calls.

Nothing here imports typer; ``promptctl desktop`` (``promptctl.cli.desktop``) is a thin adapter.
"""
