"""Whole libraries: export many prompts, import many files, and write the result all at once.

Everything is checked before anything is written: a prompt that fails validation, two ids that
share a file name, a file in the way. Then the files are written to temporary names beside their
targets and renamed into place, so a failure leaves no half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptctl.errors import PromptctlError, UsageError
from promptctl.formats import (
    Exported,
    Imported,
    ImportProblem,
    export_prompt,
    import_file,
    names_for,
    source_files,
)
from promptctl.formats.common import Unfaithful
from promptctl.library import Library
from promptctl.model import Prompt
from promptctl.sources import MAX_FILE_BYTES


class ExportFailed(PromptctlError):
    """Prompts that cannot be exported at all (invalid, or sharing a name); nothing written."""

    def __init__(self, message: str, failures: dict[str, str]) -> None:
        super().__init__(message)
        self.failures = failures


@dataclass
class ExportPlan:
    fmt: str
    results: dict[str, Exported] = field(default_factory=dict)  # id -> what it exports as

    @property
    def files(self) -> dict[str, bytes]:
        return {rel: data for result in self.results.values() for rel, data in result.files.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.fmt,
            "prompts": [
                {"id": prompt_id, "files": sorted(result.files),
                 "status": ("embedded" if result.embedded else "written" if result.files
                            else "skipped"),
                 "problem": result.problem}
                for prompt_id, result in sorted(self.results.items())
            ],
        }


def plan_export(library: Library, prompts: Sequence[Prompt], fmt: str,
                unfaithful: Unfaithful) -> ExportPlan:
    """What each prompt exports as; ``ExportFailed`` (nothing to write) when a prompt is invalid
    or two prompts share a file name."""
    failures: dict[str, str] = {}
    for prompt in prompts:
        errors = library.errors_for(prompt.path)
        if errors:
            failures[prompt.id] = (f"invalid ({len(errors)} error(s)), first: "
                                   f"{errors[0].format_text()}; fix it (`promptctl validate`)")
    for name, ids in names_for(prompts).items():
        for prompt_id in ids:
            others = ", ".join(i for i in ids if i != prompt_id)
            failures[prompt_id] = (f"its file name {name!r} is also that of {others}: rename one "
                                   "of them, or export them with different filters")
    if failures:
        detail = "; ".join(f"{i}: {why}" for i, why in sorted(failures.items()))
        raise ExportFailed(f"{len(failures)} prompt(s) cannot be exported, nothing was written: "
                           f"{detail}", failures)
    plan = ExportPlan(fmt)
    for prompt in prompts:
        plan.results[prompt.id] = export_prompt(prompt, fmt, renderer=library.renderer,
                                                unfaithful=unfaithful)
    return plan


def write_files(root: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write ``files`` (relative posix paths) under ``root``: every target checked first, each
    file written to a temporary name and renamed into place. Returns the paths written."""
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a directory; choose another DIR")
    in_the_way = []
    for rel in files:
        target = root / rel
        if target.is_dir() or target.is_symlink() or any(
                parent.exists() and not parent.is_dir()
                for parent in list(target.parents)[: len(Path(rel).parts) - 1]):
            in_the_way.append(rel)
    if in_the_way:
        raise UsageError(f"{', '.join(sorted(in_the_way))}: a directory, link or file is in the "
                         f"way under {root}; nothing was written. Move it, or choose another DIR")
    staged: list[tuple[str, Path]] = []
    try:
        for rel, data in sorted(files.items()):
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            staged.append((rel, Path(name)))
        for rel, staged_path in staged:
            os.replace(staged_path, root / rel)
    except OSError as exc:
        for _rel, staged_path in staged:
            staged_path.unlink(missing_ok=True)
        raise PromptctlError(f"could not write under {root}: {exc.strerror or exc}; nothing "
                             "was left half-written") from None
    return sorted(files)


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportItem:
    source: str  # the file imported, as given
    imported: Imported


def find_sources(src: Path, fmt: str) -> list[Path]:
    """The files of ``fmt`` at ``src``: the file itself, or every match under the folder."""
    if src.is_file():
        return [src]
    if not src.is_dir():
        raise UsageError(f"{src}: no such file or directory")
    endings = source_files(fmt)
    found = []
    for path in sorted(src.rglob("*")):
        # Links are not followed (as promptctl.sources), hidden folders not searched.
        if path.is_symlink() or not path.is_file() or any(
                part.startswith(".") for part in path.relative_to(src).parts[:-1]):
            continue
        name = path.name
        if fmt == "claude-commands" and (name.upper() == "README.MD"
                                         or name.endswith(".prompt.md")):
            continue
        if fmt == "dotprompt" and not name.endswith(".prompt"):
            continue
        by_name = endings[0] in ("SKILL.md", "system.md")
        if (name == endings[0]) if by_name else name.endswith(endings):
            found.append(path)
    if not found:
        shown = " or ".join(f"*{e}" if e.startswith(".") else f"*/{e}" for e in endings)
        raise UsageError(f"{src}: no {fmt} files ({shown}) found; check the folder and --from")
    return found


def plan_import(library: Library, root: Path, sources: Iterable[Path], fmt: str, *,
                collection: str, owners: Sequence[str]) -> list[ImportItem]:
    """Every source converted and checked against the library; raises (nothing to write) where
    a file cannot be imported (exit 1) or its id is taken (exit 2)."""
    from promptctl.loader import SEGMENT

    if not all(SEGMENT.fullmatch(part) for part in collection.split("/")):
        raise UsageError(f"--collection {collection!r}: lowercase segments of a-z, 0-9 and '-'")
    items: list[ImportItem] = []
    problems: list[str] = []
    for path in sources:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                problems.append(f"{path}: {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte "
                                "bound of a prompt file")
                continue
            imported = import_file(str(path), path.read_bytes(), fmt, collection=collection,
                                   owners=owners)
        except ImportProblem as exc:
            problems.append(str(exc))
            continue
        except OSError as exc:
            problems.append(f"{path}: cannot be read: {exc.strerror or exc}")
            continue
        items.append(ImportItem(str(path), imported))
    if problems:
        raise PromptctlError(f"{len(problems)} file(s) cannot be imported, nothing was written: "
                             + "; ".join(problems))
    by_id: dict[str, str] = {}
    taken: list[str] = []
    for item in items:
        prompt_id = item.imported.prompt_id
        if prompt_id in by_id:
            taken.append(f"{item.source} and {by_id[prompt_id]} both import as {prompt_id}")
        by_id[prompt_id] = item.source
        owner = library.prompts.get(library.aliases.get(prompt_id, prompt_id))
        if owner is not None or prompt_id in library.broken:
            where = owner.path if owner else library.broken[prompt_id]
            taken.append(f"{item.source} imports as {prompt_id}, which {where} already is")
        elif any((root / f"prompts/{prompt_id}{suffix}").exists()
                 for suffix in (".prompt.md", ".prompt.yaml")):
            taken.append(f"{item.source} imports as {prompt_id}, whose file already exists")
    if taken:
        raise UsageError("; ".join(taken) + "; nothing was written. Import into another "
                         "collection (--collection), or rename or remove the prompt in the way")
    for item in items:
        _check(item)
    return items


def _check(item: ImportItem) -> None:
    """The prompt file loads (a converter bug must never reach the library)."""
    from promptctl.loader import load_prompt
    from promptctl.sources import SourceFile

    result = load_prompt(SourceFile(item.imported.path, item.imported.text.encode("utf-8")))
    if result.problems:
        first = result.problems[0]
        raise PromptctlError(f"{item.source}: the converted prompt does not load "
                             f"({first.format_text()}); this is a bug in promptctl's "
                             "converter, please report it with the file")
