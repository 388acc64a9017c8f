"""Tables of records (``list``, ``search``, ``test``): for people on a terminal, for programs in
a pipe.

When stdout is not a terminal (``stdout_is_terminal``), each record is one line of tab-separated
fields in the order of the table's columns, with no header and nothing truncated (tabs and line
breaks inside a field become spaces), so that ``grep``, ``cut`` and ``awk -F'\\t'`` read it. On a
terminal, a table sized to its width: ``fixed`` columns (ids, versions) are never wrapped or
truncated; the others wrap, and those with a ``drop`` rank are left out when the terminal is too
narrow to give the flexible columns room.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

_SPACE = re.compile(r"[\t\r\n]+")
_GAP = 2  # the space between two columns of a rich table without padding at its edges
_ROOM = 16  # the least width a flexible column is worth showing at


@dataclass(frozen=True)
class Column:
    header: str
    fixed: bool = False  # short values people copy (ids): never wrapped or truncated
    drop: int = 0  # on a terminal too narrow for it, left out: the highest first; 0 never
    style: str = ""


def stdout_is_terminal() -> bool:
    """Whether stdout is read by a person: a terminal, or styles forced on (``--color always``,
    ``FORCE_COLOR``), which ask for what a terminal shows."""
    from promptctl.cli import output

    return output.console.is_terminal


def print_records(rows: Sequence[Sequence[str]]) -> None:
    """One line per record, fields separated by tabs."""
    sys.stdout.write("".join(
        "\t".join(_SPACE.sub(" ", field) for field in row) + "\n" for row in rows))


def print_table(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    """``rows`` as records (stdout not a terminal) or as a table that fits the terminal."""
    if not stdout_is_terminal():
        print_records(rows)
        return
    from rich.table import Table
    from rich.text import Text

    from promptctl.cli.output import console

    shown = _fitting(columns, rows, console.width)
    table = Table(box=None, pad_edge=False)
    for index in shown:
        column = columns[index]
        if column.fixed:
            width = max((len(row[index]) for row in rows), default=0)
            table.add_column(column.header, no_wrap=True, min_width=max(width, len(column.header)))
        else:
            table.add_column(column.header, overflow="fold")
    for row in rows:
        table.add_row(*(Text(row[i], style=columns[i].style) for i in shown))
    console.print(table)


def _fitting(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """The indexes of the columns to show at ``width``: droppable ones are left out, the
    highest ``drop`` first, while the flexible columns would get less than ``_ROOM``
    characters each."""
    shown = list(range(len(columns)))

    def fixed_width(index: int) -> int:
        return max([len(columns[index].header), *(len(row[index]) for row in rows)])

    while True:
        flexible = [i for i in shown if not columns[i].fixed]
        used = sum(fixed_width(i) for i in shown if columns[i].fixed) + _GAP * (len(shown) - 1)
        droppable = [i for i in shown if columns[i].drop]
        if not flexible or not droppable or width - used >= _ROOM * len(flexible):
            return shown
        shown.remove(max(droppable, key=lambda i: (columns[i].drop, i)))
