"""``sync``, ``sync --check``, ``outdated`` and ``update``: references -> lock -> files.

``sync`` keeps what the lock says wherever it still answers the references (same source, same
reference, a version within its range): those prompts come from the package cache, or are
fetched by their exact version when the cache lacks them, so a sync from a committed lock
materializes the same bytes every time, and needs no network once the cache is warm. Only new
or changed references are resolved. ``update`` resolves again (the highest version within each
range, and the current members of a tag). ``check`` changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from promptctl.consumers import lock as lock_module
from promptctl.consumers import materialize as materialize_module
from promptctl.consumers import references as references_module
from promptctl.consumers.lock import Lock, Locked
from promptctl.consumers.packages import Package, PackageCache
from promptctl.consumers.references import Reference, References, Source
from promptctl.consumers.resolvers import NotVisible, Resolver
from promptctl.errors import PromptctlError, UsageError

WORKERS = 8


def _each(function: Callable[[Any], Any], items: list[Any]) -> Iterator[Any]:
    """``map`` over a few threads: the sources answer over the network or from disk."""
    if len(items) <= 1:
        return map(function, items)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(WORKERS, len(items))) as pool:
        return iter(list(pool.map(function, items)))


def within(version: str, range_: str | None) -> bool:
    if range_ is None:
        return True
    wanted = range_.split(".")
    return version.split(".")[: len(wanted)] == wanted


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@dataclass
class Context:
    """One run: the repository, its references and lock, and a resolver made on first use."""

    root: Path
    references: References
    lock: Lock | None
    source: Source
    cache: PackageCache
    _make: Callable[[], Resolver]
    _resolver: Resolver | None = None
    fetched: int = 0

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = self._make()
        return self._resolver

    def package(self, locked: Locked) -> Package:
        """The locked package from the cache, else fetched by its exact version and checked
        against the lock's digest."""
        found = self.cache.get(locked.id, locked.version, locked.commit, locked.digest)
        if found is not None:
            return found
        try:
            package = self.resolver.package(locked.id, locked.version)
        except NotVisible as exc:
            raise PromptctlError(f"{lock_module.FILE}: {exc.message}; `promptctl update "
                                 f"{locked.id}` locks a version you can see") from None
        self.fetched += 1
        if (package.digest, package.commit) != (locked.digest, locked.commit):
            raise PromptctlError(
                f"{lock_module.FILE}: {locked.id}@{locked.version} is now {package.digest[:19]} "
                f"at commit {package.commit[:12]}, locked as {locked.digest[:19]} at "
                f"{locked.commit[:12]}: the source changed that version in place; check with "
                f"its owners, then `promptctl update {locked.id}`")
        self.cache.put(package)
        return package


def open_context(root: Path, *, server: str | None = None, git: str | None = None,
                 ref: str | None = None, key_env: str | None = None,
                 cache_dir: Path | None = None) -> Context:
    references = references_module.load(root)
    source = references.source
    if server is not None or git is not None:
        if server is not None and git is not None:
            raise UsageError("give --server or --git, not both")
        source = Source(server=server.rstrip("/") if server else None,
                        key_env=key_env or (source.key_env if source else
                                            references_module.DEFAULT_KEY_ENV),
                        git=git, ref=ref or "main")
    elif source is not None and (key_env or ref):
        source = Source(server=source.server, key_env=key_env or source.key_env,
                        git=source.git, ref=ref or source.ref)
    if source is None:
        raise UsageError(f"{references_module.FILE} names no source: add `source: {{server: "
                         "URL}` (or `{git: URL-or-path}`) to it, or pass --server or --git")
    chosen = source

    def make() -> Resolver:
        from promptctl.consumers.resolvers import ApiResolver, GitResolver

        if chosen.server:
            return ApiResolver(chosen.server, os.environ.get(chosen.key_env) or None)
        assert chosen.git is not None
        return GitResolver(chosen.git, chosen.ref)

    return Context(root, references, lock_module.read(root), source,
                   PackageCache(cache_dir), make)


@dataclass
class Outcome:
    lock: Lock
    written: int = 0
    removed: int = 0
    lock_changed: bool = False
    resolved: list[str] = field(default_factory=list)  # "id@version" newly resolved
    notes: list[str] = field(default_factory=list)
    fetched: int = 0


def _kept(context: Context, reference: Reference) -> list[Locked] | None:
    """The lock's entries for ``reference`` when they still answer it, else None."""
    lock = context.lock
    if lock is None or lock.source != context.source.text:
        return None
    entries = [p for p in lock.prompts if reference.text in p.references]
    if not entries or not all(within(p.version, reference.range) for p in entries):
        return None
    return entries


def _resolve(context: Context, reference: Reference) -> list[Package]:
    resolver = context.resolver
    where = f"{references_module.FILE}:{reference.line}"
    try:
        if reference.tag is None:
            assert reference.ref is not None
            return [resolver.resolve(reference.ref, reference.range)]
        packages = []
        for prompt_id in resolver.tagged(reference.tag):
            try:
                packages.append(resolver.resolve(prompt_id, reference.range))
            except NotVisible:
                continue  # a member with no version in the range
        if not packages:
            raise NotVisible(f"tag:{reference.tag}: no visible prompt with that tag"
                             + (f" has a version in @{reference.range}" if reference.range
                                else ""))
        return packages
    except NotVisible as exc:
        raise PromptctlError(f"{where}: {exc.message}; fix the reference or its range") from None


def sync(context: Context, *, update: Iterable[str] | None = None,
         update_all: bool = False) -> Outcome:
    """Resolve what the lock does not answer (or what ``update`` names), materialize, write."""
    renew = set(update or ())
    entries: dict[str, Locked] = {}
    origin: dict[str, int] = {}  # id -> the line of the reference that brought it in
    packages: dict[str, Package] = {}
    to_resolve: list[Reference] = []
    for reference in context.references.prompts:
        kept = _kept(context, reference)
        named = reference.ref in renew or (kept is not None and any(p.id in renew for p in kept))
        if kept is None or update_all or named:
            to_resolve.append(reference)
            continue
        for entry in kept:
            _claim(entries, origin, entry, reference)
    outcome = Outcome(context.lock or Lock(context.source.text, ()))
    if to_resolve:
        results = list(_each(lambda r: _resolve(context, r), to_resolve))
        for reference, found in zip(to_resolve, results, strict=True):
            for package in found:
                entry = Locked(package.id, package.version, package.commit, package.digest,
                               package.path, (reference.text,))
                _claim(entries, origin, entry, reference)
                if package.id not in packages:
                    outcome.resolved.append(f"{package.id}@{package.version}")
                packages[package.id] = package
                context.cache.put(package)
    missing = [e for e in entries.values() if e.id not in packages]
    for package in _each(context.package, missing):
        packages[package.id] = package
    wanted = materialize_module.materialize(list(packages.values()),
                                            context.references.targets)
    new_lock = Lock(context.source.text, tuple(entries.values()), wanted.digests())
    previous = context.lock.files if context.lock else {}
    outcome.written, outcome.removed = materialize_module.write(context.root, wanted, previous)
    outcome.lock_changed = lock_module.write(context.root, new_lock)
    outcome.lock = new_lock
    outcome.notes = wanted.notes
    outcome.fetched = context.fetched
    return outcome


def _claim(entries: dict[str, Locked], origin: dict[str, int], entry: Locked,
           reference: Reference) -> None:
    """One version per prompt, with every reference that brings it in; two references that
    want different versions of one prompt are an error naming both lines."""
    entry = replace(entry, references=(reference.text,))
    found = entries.get(entry.id)
    if found is None:
        entries[entry.id] = entry
        origin[entry.id] = reference.line
    elif found.version != entry.version:
        raise PromptctlError(
            f"{references_module.FILE}:{reference.line}: {reference.text} wants "
            f"{entry.id}@{entry.version}, line {origin[entry.id]} locks {found.version}; "
            "make their ranges agree")
    elif reference.text not in found.references:
        entries[entry.id] = replace(found, references=(*found.references, reference.text))


# --- check ----------------------------------------------------------------------------------


def check(context: Context, *, online: bool = True) -> list[str]:
    """Why the lock or the files are not what ``sync`` would leave; empty when all is well.

    Offline (``online=False``) only the lock against the references and the files against the
    lock are compared; online each locked version must still be visible and its prompt not
    deprecated.
    """
    lock = context.lock
    name = lock_module.FILE
    if lock is None:
        return [f"{name}: missing; run `promptctl sync` and commit it"]
    found: list[str] = []
    if lock.source != context.source.text:
        found.append(f"{name}: locked from {lock.source}, the references name "
                     f"{context.source.text}; run `promptctl sync`")
    references = {r.text: r for r in context.references.prompts}
    for reference in context.references.prompts:
        if not any(reference.text in p.references for p in lock.prompts):
            found.append(f"{references_module.FILE}:{reference.line}: {reference.text} is not "
                         "in the lock; run `promptctl sync`")
    for entry in lock.prompts:
        for text in entry.references:
            listed = references.get(text)
            if listed is None:
                found.append(f"{name}: {entry.id} comes from {text}, which the references "
                             "no longer list; run `promptctl sync`")
            elif not within(entry.version, listed.range):
                found.append(f"{name}: {entry.id}@{entry.version} is outside {text}; run "
                             "`promptctl sync`")
    if not found:
        try:
            packages = [context.package(entry) for entry in lock.prompts]
            wanted = materialize_module.materialize(packages, context.references.targets)
        except PromptctlError as exc:
            found.append(str(exc))
        else:
            if wanted.digests() != lock.files:
                found.append(f"{name}: the files it lists are not what its prompts and the "
                             "targets give; run `promptctl sync`")
    found.extend(f"{path}; run `promptctl sync`" for path in
                 materialize_module.differences(context.root, lock.files))
    if online:
        found.extend(_remote_problems(context, lock))
    return found


def _remote_problems(context: Context, lock: Lock) -> list[str]:
    resolver = context.resolver

    def one(entry: Locked) -> list[str]:
        problems = []
        current = resolver.current(entry.id)
        if current is not None and current.status == "deprecated":
            instead = (f"; use {current.replaced_by} instead" if current.replaced_by
                       else "; it names no replacement")
            problems.append(f"{entry.id}: deprecated{instead}")
            return problems
        try:
            resolver.package(entry.id, entry.version)
        except NotVisible:
            problems.append(f"{entry.id}@{entry.version}: no longer visible from "
                            f"{resolver.describe()} (removed, deprecated, or hidden from this "
                            f"key); `promptctl update {entry.id}` or drop the reference")
        return problems

    return [p for found in _each(one, list(lock.prompts)) for p in found]


# --- outdated -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Newer:
    id: str
    locked: str
    range: str | None
    wanted: str | None  # the highest version within the range, when newer than the lock
    latest: str | None  # the highest version of all, when newer than the lock

    def as_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "locked": self.locked, "range": self.range,
                "wanted": self.wanted, "latest": self.latest}


def outdated(context: Context) -> list[Newer]:
    lock = context.lock
    if lock is None:
        raise UsageError(f"no {lock_module.FILE} here; run `promptctl sync` first")
    references = {r.text: r for r in context.references.prompts}

    def one(entry: Locked) -> Newer | None:
        ranges = [references[t].range for t in entry.references if t in references]
        range_ = max((r for r in ranges if r), key=len, default=None)  # the narrowest
        newer = [v for v in context.resolver.versions(entry.id) if _key(v) > _key(entry.version)]
        if not newer:
            return None
        inside = [v for v in newer if within(v, range_)]
        return Newer(entry.id, entry.version, range_, max(inside, key=_key) if inside else None,
                     max(newer, key=_key))

    found = list(_each(one, sorted(lock.prompts, key=lambda p: p.id)))
    return [n for n in found if n is not None]
