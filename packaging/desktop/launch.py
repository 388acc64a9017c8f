"""The packaged desktop app's entry point (PyInstaller freezes this script:
packaging/desktop/prompt-engine.spec): ``promptctl desktop``'s options, without the rest of
promptctl's command line, so the package holds the desktop app and what it imports only."""

from __future__ import annotations

import argparse
import sys

from promptctl.desktop.app import start
from promptctl.errors import PromptctlError


def main() -> int:
    parser = argparse.ArgumentParser(prog="prompt-engine", description=(
        "The prompt library in a desktop window; a global shortcut brings up its palette."))
    parser.add_argument("--server", metavar="URL", help="the server's address (remembered)")
    parser.add_argument("--shortcut", metavar="KEYS", help="the global shortcut (remembered)")
    options = parser.parse_args()
    try:
        return start(options.server, options.shortcut)
    except PromptctlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
