"""Other prompt formats: one set of converters for ``export``, ``import`` and ``sync``.

The interface (``sync`` calls it for its targets; keep it stable)::

    FORMATS = ("skills", "claude-commands", "copilot", "github-models", "prompty", "dotprompt")

    export_prompt(prompt, fmt, *, renderer=None, unfaithful="skip") -> Exported
        Exported.files     relative path (posix) -> exact bytes to write
        Exported.problem   why the prompt cannot be expressed faithfully (None if it can)
        Exported.embedded  True when written as the template plus instructions to fill it

    import_file(path, data, fmt, *, collection="imported", owners=[...]) -> Imported
        Imported.prompt_id the id it should get (recorded in the file, or <collection>/<name>)
        Imported.text      the prompt file for prompts/<id><suffix>, a draft at 0.1.0
        Imported.suffix    ".prompt.md" or ".prompt.yaml"
        Imported.dropped   what the source had that the prompt file does not keep

``renderer`` is the library's ``promptctl.render.Renderer`` (``Library.renderer``): its partials
are inlined where a template includes one; without it a prompt that includes a partial is
reported, never written with a dangling include. ``unfaithful`` is the documented choice for a
prompt the format cannot express (a loop, a filter, a conditional, an input type the format
lacks): "skip" writes nothing and says why in ``problem``; "embed" writes the Jinja2 template
with instructions on how to fill it (``embedded=True``, ``problem`` still says why). Either way
no file silently means something else. A prompt that cannot be written at all (a name a skill
cannot have, a partial that cannot be inlined) has no files and a ``problem`` in both modes.

Paths, relative to the target root (``sync`` places the root; ``export`` writes it to DIR):

- skills: ``<name>/SKILL.md``, under ``.agents/skills/`` (Codex), ``.claude/skills/`` or
  ``.github/skills/``;
- claude-commands: ``<name>.md``, under ``.claude/commands/``;
- copilot: ``<name>.prompt.md``, under ``.github/prompts/``;
- github-models: ``<name>.prompt.yml``, anywhere in a repository;
- prompty: ``<name>.prompty``; dotprompt: ``<name>.prompt``.

``<name>`` is the id with "/" as "-": ``engineering/code-review`` -> ``engineering-code-review``
(``names_for`` finds two ids that share one). Skills, Prompty and Dotprompt files also record
the id and version in their metadata, so ``import`` gives the prompt its id back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promptctl.errors import PromptctlError, UsageError
from promptctl.formats.common import Context, Unfaithful, flat_name

if TYPE_CHECKING:
    from promptctl.model import Prompt
    from promptctl.render import Renderer

FORMATS: tuple[str, ...] = ("skills", "claude-commands", "copilot", "github-models", "prompty",
                            "dotprompt")
# Formats that are read but never written: fabric patterns (<pattern>/system.md).
IMPORT_FORMATS: tuple[str, ...] = (*FORMATS, "fabric")
DEFAULT_OWNERS: tuple[str, ...] = ("@your-org/prompt-owners",)
DEFAULT_COLLECTION = "imported"


@dataclass(frozen=True)
class Exported:
    files: dict[str, bytes]  # relative path (posix) -> exact bytes to write
    problem: str | None = None  # why this prompt cannot be expressed faithfully (None if it can)
    embedded: bool = False  # True when written with the template embedded plus fill instructions


@dataclass(frozen=True)
class Imported:
    prompt_id: str
    text: str
    suffix: str  # ".prompt.md" or ".prompt.yaml"
    dropped: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """Where it goes: ``prompts/<id><suffix>``."""
        return f"prompts/{self.prompt_id}{self.suffix}"


class ImportProblem(PromptctlError):
    """A source file that cannot be imported; the message names the file, line and reason."""


def check_format(fmt: str, *, reading: bool = False) -> None:
    known = IMPORT_FORMATS if reading else FORMATS
    if fmt not in known:
        import difflib

        close = difflib.get_close_matches(fmt, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(known)}{hint}")


def export_prompt(prompt: Prompt, fmt: str, *, renderer: Renderer | None = None,
                  unfaithful: Unfaithful = "skip") -> Exported:
    """``prompt`` in ``fmt``: the files to write, or why it cannot be (see the module doc)."""
    check_format(fmt)
    if unfaithful not in ("skip", "embed"):
        raise UsageError(f"unfaithful={unfaithful!r}: choose skip or embed")
    ctx = Context.build(prompt, fmt, _partials(renderer), unfaithful)
    return _writers()[fmt](ctx)


def names_for(prompts: Iterable[Prompt]) -> dict[str, list[str]]:
    """Flat name -> the ids that share it, for the names more than one id maps to."""
    seen: dict[str, list[str]] = {}
    for prompt in prompts:
        seen.setdefault(flat_name(prompt.id), []).append(prompt.id)
    return {name: sorted(ids) for name, ids in seen.items() if len(ids) > 1}


def import_file(path: str, data: bytes, fmt: str, *, collection: str = DEFAULT_COLLECTION,
                owners: Sequence[str] = DEFAULT_OWNERS) -> Imported:
    """One file of ``fmt`` as a prompt file (a draft at 0.1.0 with valid front matter).

    ``path`` is the file's path as the user gave it (its name gives the prompt's name where the
    file records no id); raises ``ImportProblem`` naming the file, line and reason."""
    check_format(fmt, reading=True)
    from promptctl.formats.importing import import_file as read

    return read(path, data, fmt, collection=collection, owners=list(owners))


def source_files(fmt: str) -> tuple[str, ...]:
    """The file name endings ``import`` picks up in a folder for ``fmt``."""
    check_format(fmt, reading=True)
    from promptctl.formats.importing import PATTERNS

    return PATTERNS[fmt]


def _partials(renderer: Renderer | None) -> Mapping[str, str] | None:
    if renderer is None:
        return None
    from promptctl.sandbox import PartialLoader

    loader = renderer.env.loader
    return loader.partials if isinstance(loader, PartialLoader) else None


def _writers() -> dict[str, Callable[[Context], Exported]]:
    from promptctl.formats import claude, copilot, dotprompt, ghmodels, prompty, skills

    return {"skills": skills.export, "claude-commands": claude.export, "copilot": copilot.export,
            "github-models": ghmodels.export, "prompty": prompty.export,
            "dotprompt": dotprompt.export}
