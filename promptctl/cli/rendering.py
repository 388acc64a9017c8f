"""``render``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from promptctl.cli.options import JsonOption, RepoOption


def register(app: typer.Typer) -> None:
    app.command("render")(render)


def render(
    ref: Annotated[str, typer.Argument(metavar="ID[@VERSION]", help="Prompt id or alias.")],
    input_pairs: Annotated[
        list[str] | None,
        typer.Option("-i", "--input", help="name=value, parsed by the input's type (repeatable)."),
    ] = None,
    inputs_file: Annotated[
        str | None,
        typer.Option("--inputs", help="A JSON or YAML file of name: value; '-' reads stdin."),
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
    given.update(inputs_module.parse_cli(prompt, list(input_pairs or [])))
    values = inputs_module.resolve(prompt, given)
    rendered = library.renderer.render(prompt, values)
    if as_json:
        print_json({"id": prompt.id, "version": prompt.version, "commit": resolved.commit,
                    **rendered.as_dict()})
    else:
        print_plain(rendered.text)
