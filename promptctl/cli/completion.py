"""Shell completion: ``promptctl completion bash|zsh|fish`` prints the script, and the
callbacks that offer prompt ids, tags, collections and owners of the current repository.

The shell runs ``promptctl`` with ``_PROMPTCTL_COMPLETE=complete_<shell>`` on every key press
(click's protocol, as typer implements it); the callbacks read the work tree with
``promptctl.complete``, never by loading the library, so that this stays instant.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer import _click
from typer.core import TyperCommand, _TyperParameter

from promptctl.cli.help import command
from promptctl.cli.quick import COMPLETE_VAR, ROOT_OPTIONS_WITH_VALUE

SHELLS = ("bash", "zsh", "fish")


def register(app: typer.Typer) -> None:
    command(app, "completion")(completion)


def init() -> None:
    """Register the bash, zsh and fish protocols (typer does so only with add_completion), and
    leave the words typed so far as they are: completion reads them (``--repo``) but never
    needs them converted, and typer's conversion imports pydantic, some 80 ms on every key
    press."""
    from typer._completion_classes import completion_init

    completion_init()
    _TyperParameter.process_value = _as_typed  # type: ignore[method-assign]


def _as_typed(self: _TyperParameter, ctx: _click.Context, value: Any) -> Any:
    return value


def narrow(app: typer.Typer) -> None:
    """Once the command's name is typed, build that command alone: typer builds every command
    of ``app`` on each run, which is most of a completion's time after the imports."""
    from typer._click.shell_completion import get_completion_class

    shell = os.environ.get(COMPLETE_VAR, "").partition("_")[2]
    comp_cls = get_completion_class(shell)
    if comp_cls is None:
        return
    try:
        args, _incomplete = comp_cls(TyperCommand(None), {}, "promptctl",
                                     COMPLETE_VAR).get_completion_args()
    except (KeyError, ValueError):
        return
    narrow_to(app, args)


WHOLE_APP = {"docs"}  # commands that read every command (the reference)


def narrow_to(app: typer.Typer, args: list[str]) -> None:
    """Keep only the command (or group) ``args`` name, where they name one: typer builds every
    command of ``app`` on each run (about 50 ms), and a run uses one. Anything else (no
    command, a typo that wants typer's suggestions) keeps them all."""
    name = _command_name(args)
    if name in WHOLE_APP:
        return
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups
              if (g.name or (g.typer_instance.info.name if g.typer_instance else None)) == name]
    if name is not None and (commands or groups):
        app.registered_commands = commands
        app.registered_groups = groups


def _command_name(args: list[str]) -> str | None:
    """The first word of ``args`` that is not a root option (or an option's value)."""
    words = iter(args)
    for word in words:
        if word in ROOT_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _root(ctx: typer.Context) -> str | None:
    from promptctl import complete

    repo = ctx.params.get("repo")
    return complete.find_root(str(repo) if repo else None)


def complete_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Prompt ids (for ID arguments)."""
    from promptctl import complete

    root = _root(ctx)
    return [] if root is None else [i for i in complete.prompt_ids(root)
                                    if i.startswith(incomplete)]


def complete_collections(ctx: typer.Context, incomplete: str) -> list[str]:
    from promptctl import complete

    root = _root(ctx)
    return [] if root is None else [c for c in complete.collections(root)
                                    if c.startswith(incomplete)]


def _front_matter(field: str) -> Callable[[typer.Context, str], list[str]]:
    def values(ctx: typer.Context, incomplete: str) -> list[str]:
        from promptctl import complete

        root = _root(ctx)
        return [] if root is None else [v for v in complete.values(root, field)
                                        if v.startswith(incomplete)]

    return values


complete_tags = _front_matter("tags")
complete_owners = _front_matter("owners")


def choices(*options: str) -> Callable[[str], list[str]]:
    """A completion callback offering fixed words."""

    def offer(incomplete: str) -> list[str]:
        return [o for o in options if o.startswith(incomplete)]

    return offer


def completion(
    shell: Annotated[str, typer.Argument(metavar="SHELL", autocompletion=choices(*SHELLS),
                                         help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script: commands, options, prompt ids, tags, collections and
    owners of the repository you are in.

    Load it in the shell's start-up file (bash: ~/.bashrc, zsh: ~/.zshrc after compinit) or
    save it where fish looks for completions.

    Examples:
        eval "$(promptctl completion bash)"
        promptctl completion fish > ~/.config/fish/completions/promptctl.fish
    """
    from typer._completion_shared import get_completion_script

    from promptctl.errors import UsageError

    if shell not in SHELLS:
        raise UsageError(f"completion {shell!r}: choose bash, zsh or fish")
    typer.echo(get_completion_script(prog_name="promptctl", complete_var=COMPLETE_VAR,
                                     shell=shell))
