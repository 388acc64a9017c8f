"""Help as people read it: metavars that say what to type (``ID``, ``PATH``, ``N``,
``[text|json|github]``) instead of Python types, and an ``Examples:`` block printed verbatim.

Every command is built with ``Command`` and every group with ``Group`` (``command`` and ``group``
below). A command's docstring may end with an ``Examples:`` paragraph; its lines are printed as
they are, after the options, and ``promptctl docs cli`` copies them into docs/cli.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer import _click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

EXAMPLES = "Examples:"
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def split_examples(text: str | None) -> tuple[str, list[str]]:
    """A docstring's prose, and the lines of its ``Examples:`` block (dedented)."""
    import inspect
    import textwrap

    cleaned = inspect.cleandoc(text or "").partition("\f")[0]
    prose, found, rest = cleaned.partition("\n" + EXAMPLES)
    if not found:
        if cleaned.startswith(EXAMPLES):
            prose, rest = "", cleaned[len(EXAMPLES):]
        else:
            return cleaned, []
    lines = textwrap.dedent(rest.strip("\n")).splitlines()
    return prose.rstrip(), [line.rstrip() for line in lines if line.strip()]


def argument_metavar(param: TyperArgument) -> str:
    return param.metavar or (param.name or "ARG").upper()


def argument_usage(param: TyperArgument) -> str:
    name = argument_metavar(param)
    if not param.required:
        name = f"[{name}]"
    return name + ("..." if param.nargs != 1 else "")


def option_metavar(param: TyperOption) -> str:
    """What an option's value looks like: its own metavar, else DIR/FILE/PATH for paths, N for
    numbers, else the option's name in capitals (``--ref REF``)."""
    if param.metavar:
        return param.metavar
    desc = param.type_descriptor
    if desc.is_path:
        return desc.path_type.upper()
    if desc.annotation in (int, float):
        return "N"
    longest = max(param.opts, key=len).lstrip("-")
    return longest.replace("-", "_").upper()


def _name_metavars(params: list[Any]) -> None:
    for param in params:
        if isinstance(param, TyperOption) and not param.is_flag and not param.count:
            param.metavar = option_metavar(param)


def _usage_pieces(command: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    pieces.extend(argument_usage(p) for p in command.params if isinstance(p, TyperArgument))
    return pieces


def _format_params(command: Any, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
    arguments, options = [], []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if isinstance(param, TyperArgument):
            name = argument_metavar(param) + ("..." if param.nargs != 1 else "")
            arguments.append((name, record[1]))
        else:
            options.append(record)
    if arguments:
        with formatter.section("Arguments"):
            formatter.write_dl(arguments)
    if options:
        with formatter.section("Options"):
            formatter.write_dl(options)


def _format_text(command: Any, formatter: _click.HelpFormatter) -> None:
    prose, _examples = split_examples(command.help)
    if prose:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(prose)


def _format_examples(command: Any, formatter: _click.HelpFormatter) -> None:
    _prose, examples = split_examples(command.help)
    if examples:
        with formatter.section(EXAMPLES.rstrip(":")):
            for line in examples:
                formatter.write(" " * formatter.current_indent + line + "\n")


class _Readable:
    """What a command and a group share: named metavars, prose, arguments and options, and the
    Examples block after them."""

    help: str | None
    params: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_metavars(self.params)

    def format_help_text(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _format_text(self, formatter)

    def format_epilog(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _format_examples(self, formatter)
        super().format_epilog(ctx, formatter)  # type: ignore[misc]


class Command(_Readable, TyperCommand):
    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        return _usage_pieces(self)

    def format_options(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _format_params(self, ctx, formatter)


class Group(_Readable, TyperGroup):
    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        return [*_usage_pieces(self), self.subcommand_metavar]

    def format_options(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _format_params(self, ctx, formatter)
        self.format_commands(ctx, formatter)


def command(app: typer.Typer, name: str, **kwargs: Any) -> Callable[[Any], Any]:
    """``app.command(name)`` built with ``Command``."""
    return app.command(name, cls=Command, **kwargs)


# --- the command reference (docs/cli.md) ---------------------------------------------------------


def reference(root: _click.Command) -> str:
    """Markdown for every visible command under ``root``: usage, text, arguments, options and
    examples, independent of the terminal's width."""
    lines = ["# promptctl command reference", "",
             "Generated by `promptctl docs cli > docs/cli.md`; a test fails when it is stale.", ""]
    top = _click.Context(root, info_name="promptctl", **root.context_settings)
    for path, cmd, ctx in _walk(root, top):
        lines.extend(_section(path, cmd, ctx))
    return "\n".join(lines).rstrip("\n") + "\n"


def _walk(cmd: _click.Command, ctx: _click.Context,
          path: str = "promptctl") -> list[tuple[str, _click.Command, _click.Context]]:
    found = [(path, cmd, ctx)]
    for name, sub in getattr(cmd, "commands", {}).items():
        if not sub.hidden:
            found.extend(_walk(sub, _click.Context(sub, info_name=name, parent=ctx),
                               f"{path} {name}"))
    return found


def _section(path: str, cmd: _click.Command, ctx: _click.Context) -> list[str]:
    prose, examples = split_examples(cmd.help)
    usage = " ".join([path, *cmd.collect_usage_pieces(ctx)])
    lines = [f"## `{path}`", "", "```", usage, "```", ""]
    if prose:
        lines += [prose, ""]
    rows = [(p, p.get_help_record(ctx)) for p in cmd.get_params(ctx)]
    arguments = [(argument_metavar(p) + ("..." if p.nargs != 1 else ""), r[1])
                 for p, r in rows if r is not None and isinstance(p, TyperArgument)]
    options = [r for p, r in rows if r is not None and not isinstance(p, TyperArgument)]
    for title, records in (("Arguments", arguments), ("Options", options)):
        if records:
            lines += [f"{title}:", "", "| | |", "| --- | --- |"]
            lines += [f"| `{_cell(term)}` | {_cell(text)} |" for term, text in records]
            lines.append("")
    subcommands = [(n, c) for n, c in getattr(cmd, "commands", {}).items() if not c.hidden]
    if subcommands:
        lines += ["Commands:", ""]
        lines += [f"- `{path} {n}`: {c.get_short_help_str(200)}" for n, c in subcommands]
        lines.append("")
    if examples:
        lines += ["Examples:", "", "```sh", *examples, "```", ""]
    return lines


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
