"""The filters of ``list`` and ``search`` (--status, --channel, --collection, --tag, --owner),
checked against what they can match.

A status or channel outside the schema's values can never match: it is a usage error, with the
closest valid value. A collection, tag or owner that no prompt has may be legitimate (the prompt
is not written yet), so it only earns a hint naming the closest one that exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from promptctl.errors import UsageError
from promptctl.schema import PROMPT_SCHEMA, load_schema

if TYPE_CHECKING:
    from promptctl.library import Library


def choices(field: str) -> list[str]:
    """The values the prompt schema allows for ``field`` (status, channel, scope)."""
    return [str(v) for v in load_schema(PROMPT_SCHEMA)["properties"][field]["enum"]]


def _closest(value: str, known: Iterable[str]) -> str | None:
    options = sorted(set(known))
    lowered = {option.lower(): option for option in options}
    if value.lower() in lowered:
        return lowered[value.lower()]
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[close[0]] if close else None


def _one_of(options: list[str]) -> str:
    return ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else options[0]


def choice_problem(option: str, value: str, *, spelled: str) -> str | None:
    """What is wrong with ``value`` for the ``status`` or ``channel`` ``option``, or None when
    a prompt can have it. ``spelled`` is how the caller writes the option before a value:
    ``--status `` on the command line, ``status=`` in a query."""
    options = choices(option)
    if value in options:
        return None
    close = _closest(value, options)
    hint = f"did you mean {spelled}{close}? " if close else ""
    return f"{spelled}{value!r} is not a {option}; {hint}choose {_one_of(options)}"


def check_choices(*, status: str | None = None, channel: str | None = None) -> None:
    """``UsageError`` (exit 2) for a --status or --channel that no prompt can have."""
    for option, value in (("status", status), ("channel", channel)):
        problem = None if value is None else choice_problem(option, value,
                                                            spelled=f"--{option} ")
        if problem is not None:
            raise UsageError(problem)


def unmatched_hints(library: Library, *, tags: Iterable[str] = (),
                    collection: str | None = None, owner: str | None = None) -> list[str]:
    """A note for each --tag, --collection or --owner that no prompt of ``library`` has."""
    prompts = list(library.prompts.values())
    known_tags = {tag for p in prompts for tag in p.tags}
    collections = {p.id.split("/", 1)[0] for p in prompts}
    owners = {o.lstrip("@").lower() for p in prompts for o in p.owners}
    notes = []
    for tag in tags:
        if tag not in known_tags:
            notes.append(_note("tag", tag, _closest(tag, known_tags)))
    if collection and collection.strip("/").split("/", 1)[0] not in collections:
        notes.append(_note("collection", collection, _closest(collection.strip("/"),
                                                              collections)))
    if owner and owner.lstrip("@").lower() not in owners:
        close = _closest(owner.lstrip("@"), owners)
        notes.append(_note("owner", owner, f"@{close}" if close else None))
    return notes


def _note(option: str, value: str, close: str | None) -> str:
    hint = (f"did you mean --{option} {close}?" if close
            else f"`promptctl list --json` shows every prompt's {option}s")
    return f"note: no prompt has {option} {value!r}; {hint}"
