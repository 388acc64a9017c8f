"""CODEOWNERS: GitHub's parser and matcher, and the block generated from each prompt's ``owners``.

GitHub documents the format in "About code owners" (docs.github.com, Repositories > Customizing
your repository). What this module holds to, from that page:

- patterns follow gitignore rules: ``*`` stays within a path segment, ``**`` crosses segments, a
  leading ``/`` anchors to the repository root, so does a ``/`` inside the pattern, a trailing
  ``/`` means a directory and everything under it, and a pattern without a slash (other than a
  trailing one) matches at any depth;
- ``docs/*`` owns ``docs/a.md`` but not ``docs/sub/b.md``: a final ``*`` segment matches direct
  children only (GitHub's own example, where plain gitignore would take the subfolder too);
- the last matching line wins, and a matching line without owners leaves the path unowned;
- paths are case-sensitive; owners are ``@user``, ``@org/team`` or an e-mail address;
- ``!`` negation, ``[ ]`` ranges and a ``\\#`` escape at the start of a pattern do not work, and
  GitHub skips a line with invalid syntax (the rest of the file still applies);
- GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS``, ``docs/CODEOWNERS``, and does
  not load one of 3 MB or more.

Matching is indexed: each rule hangs in a trie under the literal path segments its pattern starts
with, so a path is tested only against the rules that can match it (the unanchored ones and those
along its own folders), newest line first, stopping at the first match.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptctl.errors import PromptctlError
from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX
from promptctl.problems import Problem, error, warning

if TYPE_CHECKING:
    from promptctl.library import Library

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")  # GitHub's lookup order
DEFAULT_LOCATION = "CODEOWNERS"
# "CODEOWNERS files must be under 3 MB in size": read as 3 MiB, GitHub being a Rails application.
MAX_BYTES = 3 * 1024 * 1024
BEGIN = "# BEGIN promptctl generated"
END = "# END promptctl generated"
CODE = "codeowners"

_USER = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
OWNER = re.compile(rf"@{_USER}(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?|[^@\s]+@[^@\s]+\.[^@\s]+")
_WILDCARD = re.compile(r"[*?\\\[]")
_UNSAFE = re.compile(r"[\s*?\[\]\\]")  # characters a generated pattern must escape


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    line: int
    pattern: str  # as written in the file
    owners: tuple[str, ...]  # empty: the line leaves what it matches unowned
    regex: re.Pattern[str] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Match:
    """Who owns ``path``, and the line that decided it (``rule`` None: no line matches)."""

    path: str
    rule: Rule | None

    @property
    def owners(self) -> tuple[str, ...]:
        return self.rule.owners if self.rule else ()

    def as_dict(self) -> dict[str, Any]:
        """The ``owners --json`` shape: ``{path, owners, line, pattern}``."""
        return {
            "path": self.path,
            "owners": list(self.owners),
            "line": self.rule.line if self.rule else None,
            "pattern": self.rule.pattern if self.rule else None,
        }


class _Node:
    __slots__ = ("children", "rules")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.rules: list[int] = []  # indexes into CodeOwners.rules, ascending


class CodeOwners:
    """The rules of one CODEOWNERS file, ready to match paths (``path`` None: no file)."""

    def __init__(self, rules: list[Rule], path: str | None = None) -> None:
        self.rules = tuple(rules)
        self.path = path
        self._root = _Node()
        for index, rule in enumerate(self.rules):
            node = self._root
            for segment in _literal_prefix(rule.pattern):
                node = node.children.setdefault(segment, _Node())
            node.rules.append(index)

    def match(self, path: str) -> Match:
        """The owners of the file at ``path`` (repository-relative, ``/``-separated)."""
        path = path.lstrip("/")
        node = self._root
        candidates = list(node.rules)
        for segment in path.split("/"):
            child = node.children.get(segment)
            if child is None:
                break
            node = child
            candidates.extend(node.rules)
        candidates.sort(reverse=True)
        for index in candidates:
            rule = self.rules[index]
            if rule.regex.match(path):
                return Match(path, rule)
        return Match(path, None)


def parse(text: str, path: str = DEFAULT_LOCATION) -> tuple[CodeOwners, list[Problem]]:
    """The rules in ``text``; lines GitHub would skip are skipped and reported with their line."""
    rules: list[Rule] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        tokens = _tokens(raw.rstrip("\r"))
        if not tokens:
            continue
        (col, pattern), owners = tokens[0], tokens[1:]
        found = _pattern_problem(pattern)
        if found:
            problems.append(error(path, number, col, CODE, found))
            continue
        bad = [(c, o) for c, o in owners if not OWNER.fullmatch(o)]
        if bad:
            names = ", ".join(repr(o) for _c, o in bad)
            problems.append(error(path, number, bad[0][0], CODE,
                                  f"owner {names} is not @user, @org/team or an e-mail address, "
                                  "so GitHub skips this line; correct the owner"))
            continue
        rules.append(Rule(number, pattern, tuple(o for _c, o in owners),
                          re.compile(pattern_regex(pattern))))
    return CodeOwners(rules, path), problems


def _tokens(line: str) -> list[tuple[int, str]]:
    """(1-based column, token) split on unescaped whitespace, up to a ``#`` that starts a token."""
    tokens: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    index = 0
    while index < len(line):
        char = line[index]
        if char in " \t":
            if current:
                tokens.append((start + 1, "".join(current)))
                current = []
        elif char == "#" and not current:
            break  # a comment: the whole line, or inline after whitespace
        else:
            if not current:
                start = index
            current.append(char)
            if char == "\\" and index + 1 < len(line):
                index += 1
                current.append(line[index])
        index += 1
    if current:
        tokens.append((start + 1, "".join(current)))
    return tokens


def _pattern_problem(pattern: str) -> str | None:
    skipped = "GitHub skips this line"
    if pattern.startswith("\\#"):
        return (f"escaping a leading '#' with '\\' does not work in CODEOWNERS, so {skipped}; "
                "start the pattern with '/' (anchored) or '**/' instead")
    if pattern.startswith("!"):
        return (f"negation ('!') does not work in CODEOWNERS, so {skipped}; to take a path away "
                "from earlier owners, add a later line with the path and no owners")
    if "[" in re.sub(r"\\.", "", pattern):
        return (f"character ranges ('[ ]') do not work in CODEOWNERS, so {skipped}; list each "
                "path, or use '*' and '?'")
    if "***" in pattern:
        return f"'***' is not a valid pattern, so {skipped}; use '**' to cross folders"
    return None


def pattern_regex(pattern: str) -> str:
    """The regular expression (for ``re.match``) that a CODEOWNERS pattern stands for."""
    anchored = pattern.startswith("/")
    body = pattern[1:] if anchored else pattern
    directory = body.endswith("/")
    if directory:
        body = body[:-1]
    if not body:
        return r"(?!)"  # "/" alone names no file
    segments = body.split("/")
    floating = not anchored and len(segments) == 1
    regex = "(?:.+/)?" if floating and segments[0] != "**" else ""
    need_slash = False
    for index, segment in enumerate(segments):
        slash = "/" if need_slash else ""
        if segment == "**":
            if index == len(segments) - 1:
                regex += slash + ".+"  # everything below
            else:
                regex += slash + "(?:.+/)?"  # zero or more folders
                need_slash = False
            continue
        regex += slash + ("[^/]+" if segment == "*" else _segment_regex(segment))
        need_slash = True
    last = segments[-1]
    if directory:
        regex += "/.+"
    elif last not in ("*", "**"):
        regex += "(?:/.*)?"  # a file of that name, or a folder of that name and all below it
    return regex + r"\Z"


def _segment_regex(segment: str) -> str:
    parts: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "\\" and index + 1 < len(segment):
            index += 1
            parts.append(re.escape(segment[index]))
        elif char == "*":
            parts.append("[^/]*")
        elif char == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(char))
        index += 1
    return "".join(parts)


def _literal_prefix(pattern: str) -> list[str]:
    """The leading path segments every path the pattern matches starts with (the trie key)."""
    body = pattern[1:] if pattern.startswith("/") else pattern
    segments = body.rstrip("/").split("/") if body.rstrip("/") else []
    if not pattern.startswith("/") and len(segments) <= 1:
        return []  # floating: matches at any depth
    literal = []
    for segment in segments:
        if not segment or _WILDCARD.search(segment):
            break
        literal.append(segment)
    return literal


# --- finding the file --------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    path: str | None  # repository-relative; None: no CODEOWNERS in any of the three places
    text: str | None  # None: missing, too large or unreadable
    problems: list[Problem]


def find(root: Path) -> Found:
    """The CODEOWNERS file GitHub would use: the first of LOCATIONS that exists."""
    present = [rel for rel in LOCATIONS if (root / rel).is_file()]
    if not present:
        return Found(None, None, [])
    chosen, problems = present[0], []
    for other in present[1:]:
        problems.append(warning(other, 1, 1, CODE,
                                f"GitHub ignores this file because {chosen} comes first; merge "
                                "its lines into that file and delete this one"))
    data = (root / chosen).read_bytes()
    if len(data) >= MAX_BYTES:
        problems.append(error(chosen, 1, 1, CODE,
                              f"the file is {len(data) / 1024 / 1024:.1f} MB; GitHub does not load "
                              "a CODEOWNERS file of 3 MB or more, so no line of it applies; shrink "
                              "it by folding lines into wildcard patterns"))
        return Found(chosen, None, problems)
    try:
        return Found(chosen, data.decode("utf-8"), problems)
    except UnicodeDecodeError as exc:
        problems.append(error(chosen, 1, 1, CODE,
                              f"not UTF-8 text (byte {exc.start}); save it as UTF-8"))
        return Found(chosen, None, problems)


def load(root: Path) -> tuple[CodeOwners, list[Problem]]:
    """The rules GitHub applies in the work tree at ``root``, and the problems of their file."""
    found = find(root)
    if found.text is None:
        return CodeOwners([], found.path), found.problems
    owners, problems = parse(found.text, found.path or DEFAULT_LOCATION)
    return owners, [*found.problems, *problems]


# --- the generated block -----------------------------------------------------------------------


def generate(library: Library) -> list[str]:
    """The generated block's lines, markers included: one line per prompt file with its owners,
    and one per partial with the owners of every prompt that includes it (sorted, deduplicated;
    a partial that no prompt includes gets no line, so the lines above the block decide)."""
    from promptctl.validate import partial_users

    unknown = _unloaded_prompt_files(library)
    if unknown:
        more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
        raise PromptctlError(
            f"{unknown[0]}{more} did not load, so its owners are unknown and CODEOWNERS cannot be "
            "generated; fix it (`promptctl validate` lists the problems) and run again"
        )
    entries: list[tuple[str, list[str]]] = []
    for prompt in library.prompts.values():
        entries.append((prompt.path, list(dict.fromkeys(prompt.owners))))
    for name, users in partial_users(library).items():
        if name in library.partials and users:
            owners = sorted({o for i in users for o in library.prompts[i].owners})
            entries.append((f"{PROMPTS_DIR}/{name}", owners))
    lines = [BEGIN]
    for path, owners in sorted(entries):
        lines.append(" ".join(["/" + _UNSAFE.sub(r"\\\g<0>", path), *owners]))
    lines.append(END)
    return lines


def _unloaded_prompt_files(library: Library) -> list[str]:
    loaded = {p.path for p in library.prompts.values()}
    failed = {p.path for p in library.problems
              if p.is_error and p.path.endswith((MD_SUFFIX, YAML_SUFFIX))}
    return sorted((failed | set(library.broken.values())) - loaded)


def replace_block(text: str, block: list[str], path: str = DEFAULT_LOCATION) -> str:
    """``text`` with its generated block replaced by ``block`` (appended, after one blank line,
    where there is none); every byte outside the block is kept as it is."""
    lines = text.split("\n")
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    markers = f"'{BEGIN}' / '{END}'"
    if len(begins) > 1 or len(ends) > 1:
        line = (begins if len(begins) > 1 else ends)[1] + 1
        raise PromptctlError(f"a second {markers} marker; keep one generated block and delete "
                             "the other (with its lines), then run `promptctl codeowners`",
                             path=path, line=line)
    if begins and not ends:
        raise PromptctlError(f"'{BEGIN}' has no '{END}' after it; add the END line after the "
                             "generated lines, or delete the BEGIN line", path=path,
                             line=begins[0] + 1)
    if ends and (not begins or ends[0] < begins[0]):
        raise PromptctlError(f"'{END}' without a '{BEGIN}' before it; put the BEGIN line above "
                             "the generated lines, or delete the END line", path=path,
                             line=ends[0] + 1)
    if begins:
        first, last = begins[0], ends[0]
        cr = "\r" if lines[first].endswith("\r") else ""
        return "\n".join([*lines[:first], *(line + cr for line in block), *lines[last + 1 :]])
    if not text:
        return "\n".join(block) + "\n"
    newline = "\r\n" if lines[0].endswith("\r") else "\n"
    if text.endswith(newline * 2):
        gap = ""
    elif text.endswith("\n"):
        gap = newline
    else:
        gap = newline * 2
    return text + gap + newline.join(block) + newline


def regenerate(text: str, library: Library, path: str = DEFAULT_LOCATION) -> str:
    return replace_block(text, generate(library), path)


def check(text: str, library: Library, path: str = DEFAULT_LOCATION) -> str | None:
    """The unified diff that ``promptctl codeowners`` would apply; None when ``text`` is current."""
    updated = regenerate(text, library, path)
    return None if updated == text else unified_diff(text, updated, path)


def unified_diff(old: str, new: str, path: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class Update:
    """What ``promptctl codeowners`` does to the work tree at ``root``."""

    root: Path
    path: str  # the repository-relative file it writes
    current: str | None  # None: the file does not exist yet
    updated: str
    block: list[str]  # the generated lines, markers included
    problems: list[Problem]  # about where the file is (shadowed, too large)

    @property
    def stale(self) -> bool:
        return self.current != self.updated

    def diff(self) -> str:
        return unified_diff(self.current or "", self.updated, self.path)

    def write(self) -> None:
        write_atomic(self.root / self.path, self.updated.encode("utf-8"))


def plan_update(root: Path, library: Library) -> Update:
    found = find(root)
    rel = found.path or DEFAULT_LOCATION
    problems = found.problems
    current: str | None = None
    if found.path is not None:
        data = (root / rel).read_bytes()
        try:
            current = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PromptctlError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8 and run "
                                 "again", path=rel) from None
    block = generate(library)
    return Update(root, rel, current, replace_block(current or "", block, rel), block, problems)


def has_block(root: Path) -> bool:
    """Whether the repository's CODEOWNERS holds a generated block (which ``new`` keeps
    current; a repository without one has chosen not to generate owners)."""
    found = find(root)
    return found.text is not None and any(line.strip() == BEGIN
                                          for line in found.text.split("\n"))


def refresh_block(root: Path, library: Library) -> Update | None:
    """Regenerate the generated block after a prompt was added (``promptctl new``), so that
    ``codeowners --check`` passes at once. None: the repository's CODEOWNERS has no block."""
    if not has_block(root):
        return None
    update = plan_update(root, library)
    if update.stale:
        update.write()
    return update


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder and os.replace,
    so a reader sees the old file or the new one, never half of it."""
    if target.is_symlink():
        target = target.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, mode)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise PromptctlError(f"cannot write {target}: {exc.strerror or exc}; check that the "
                             "folder is writable") from None
