"""``render``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from promptctl.cli.help import command
from promptctl.cli.options import JsonOption, RepoOption, VersionedIdArgument


def register(app: typer.Typer) -> None:
    command(app, "render")(render)


def render(
    ref: VersionedIdArgument,
    input_pairs: Annotated[
        list[str] | None,
        typer.Option("-i", "--input", metavar="NAME=VALUE",
                     help="An input, parsed by its declared type (repeatable). NAME=@FILE reads "
                          "the value from FILE, NAME=@- from stdin; NAME=@@... is a value that "
                          "starts with @."),
    ] = None,
    inputs_file: Annotated[
        str | None,
        typer.Option("--inputs", metavar="FILE",
                     help="A JSON or YAML file of name: value; '-' reads stdin."),
    ] = None,
    git_ref: Annotated[
        str, typer.Option("--ref", help="Where ID@VERSION is looked up in history.")
    ] = "HEAD",
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Render a prompt with inputs; prints the text, or messages and text with --json.

    ID@1.2.3 is that exact version from Git history, ID@1 / ID@1.2 the highest matching one,
    ID@<commit> the prompt at that commit, ID alone the work tree.

    A value given as NAME=@FILE is read from FILE (NAME=@- from stdin), for inputs too large
    for a command line; write NAME=@@text for a value that starts with @.

    Examples:
        promptctl render engineering/commit-message -i diff="$(git diff --staged)"
        git diff --staged | promptctl render engineering/commit-message -i diff=@- --json
    """
    from promptctl import inputs as inputs_module
    from promptctl.cli.output import print_json, print_plain
    from promptctl.errors import UsageError
    from promptctl.history import resolve_in_repo
    from promptctl.repository import resolve_root

    resolved = resolve_in_repo(resolve_root(repo), ref, git_ref=git_ref)
    library = resolved.library
    prompt = library.usable(resolved.prompt.id)
    given: dict[str, object] = {}
    if inputs_file is not None:
        if inputs_file == "-":
            text, source = sys.stdin.read(), "<stdin>"
        else:
            path = Path(inputs_file)
            if path.is_dir():
                raise UsageError(f"--inputs {inputs_file}: is a directory; pass a JSON or YAML "
                                 "file of name: value, or '-' to read stdin")
            if not path.is_file():
                raise UsageError(f"--inputs {inputs_file}: no such file")
            text, source = path.read_text(encoding="utf-8", errors="replace"), inputs_file
        given.update(inputs_module.load_file(text, source))
    stdin_free = inputs_file != "-" and sum(1 for p in input_pairs or [] if p.endswith("=@-")) < 2
    given.update(inputs_module.parse_cli(prompt, list(input_pairs or []),
                                         read_stdin=sys.stdin.read if stdin_free else None))
    values = inputs_module.resolve(prompt, given)
    rendered = library.renderer.render(prompt, values)
    if as_json:
        print_json({"id": prompt.id, "version": prompt.version, "commit": resolved.commit,
                    **rendered.as_dict()})
    else:
        print_plain(rendered.text)
