"""Shell completion answered before typer is imported.

Importing typer and building the app's commands is most of a completion's time. The completions
people wait for most, prompt ids after ``show``/``render``/``history``/``diff``/``test`` and the
values of ``--tag``, ``--collection`` and ``--owner``, need neither: they are read from the work
tree (``promptctl.complete``) and printed here in the shells' completion protocol (the one
typer's scripts speak, from ``promptctl completion SHELL``). Anything else, including a command
line with ``--repo`` or a word this module is not sure about, returns None and goes to typer,
whose callbacks (``promptctl.cli.completion``) give the same answers the slow way.

No typer, click or rich import here.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping

COMPLETE_VAR = "_PROMPTCTL_COMPLETE"
ID_COMMANDS = {"show": 1, "render": 1, "history": 1, "diff": 2, "test": 0}  # 0: any number
VALUE_OPTIONS = {
    "list": {"--tag": "tags", "--collection": "collections", "--owner": "owners"},
    "search": {"--tag": "tags", "--collection": "collections", "--owner": "owners"},
    "new": {"--owner": "owners"},
}
ROOT_OPTIONS_WITH_VALUE = {"--color"}


def complete(env: Mapping[str, str]) -> int | None:
    """Answer the completion request in ``env`` on stdout and return the exit code, or None
    when typer has to answer it."""
    shell = env.get(COMPLETE_VAR, "").partition("_")[2]
    typed = _typed(shell, env)
    if typed is None:
        return None
    args, incomplete = typed
    kind = what_to_offer(args, incomplete)
    if kind is None:
        return None
    from promptctl.complete import find_root

    root = find_root()
    values = [] if root is None else _values(root, kind)
    offered = [v for v in values if v.startswith(incomplete)]
    return _print(shell, offered, env)


def what_to_offer(args: list[str], incomplete: str) -> str | None:
    """"ids", "tags", "collections" or "owners" for the word being typed after ``args``; None
    when it is anything else, or not certain."""
    rest = _after_root_options(args)
    if not rest or incomplete.startswith("-"):
        return None
    command, given = rest[0], rest[1:]
    if any(word == "--repo" or word.startswith("--repo=") for word in given):
        return None  # typer's callbacks read the repository from --repo
    options = VALUE_OPTIONS.get(command, {})
    if given and given[-1] in options:
        return options[given[-1]]
    limit = ID_COMMANDS.get(command)
    if limit is None or any(word.startswith("-") for word in given):
        return None
    return "ids" if limit == 0 or len(given) < limit else None


def _after_root_options(args: list[str]) -> list[str] | None:
    words = list(args)
    while words and words[0].startswith("-"):
        if words[0] in ROOT_OPTIONS_WITH_VALUE and len(words) > 1:
            words = words[2:]
        elif words[0].partition("=")[0] in ROOT_OPTIONS_WITH_VALUE and "=" in words[0]:
            words = words[1:]
        else:
            return None
    return words


def _values(root: str, kind: str) -> list[str]:
    from promptctl import complete as data

    if kind == "ids":
        return data.prompt_ids(root)
    if kind == "collections":
        return data.collections(root)
    return data.values(root, kind)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unclosed quote while typing: words as they stand
        return text.split()


def _typed(shell: str, env: Mapping[str, str]) -> tuple[list[str], str] | None:
    """The complete words after the program name, and the word being typed."""
    if shell == "bash":
        try:
            words, index = _split(env["COMP_WORDS"]), int(env["COMP_CWORD"])
        except (KeyError, ValueError):
            return None
        return words[1:index], words[index] if index < len(words) else ""
    if shell in ("zsh", "fish"):
        line = env.get("_TYPER_COMPLETE_ARGS", "")
        words = _split(line)[1:]
        if words and not line.endswith(" "):
            return words[:-1], words[-1]
        return words, ""
    return None


def _print(shell: str, offered: list[str], env: Mapping[str, str]) -> int:
    if shell == "zsh":
        if not offered:
            sys.stdout.write("_files\n")
        else:
            items = "\n".join(f'"{_zsh_escape(v)}"' for v in offered)
            sys.stdout.write(f"_arguments '*: :(({items}))'\n")
        return 0
    if shell == "fish" and env.get("_TYPER_COMPLETE_FISH_ACTION") == "is-args":
        return 0 if offered else 1
    sys.stdout.write("\n".join(offered) + "\n")
    return 0


def _zsh_escape(value: str) -> str:
    return (value.replace('"', '""').replace("'", "''").replace("$", "\\$")
            .replace("`", "\\`").replace(":", r"\\:"))


def run() -> None:
    """The console script: a completion answered here, or the app."""
    if COMPLETE_VAR in os.environ:
        code = complete(os.environ)
        if code is not None:
            sys.stdout.flush()
            sys.exit(code)
    from promptctl.cli.main import run as run_app

    run_app()
