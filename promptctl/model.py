"""The prompt as the core sees it once loaded: front matter with defaults applied, and templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from promptctl.yamlload import YamlDocument

Role = Literal["system", "user", "assistant"]
Form = Literal["md", "yaml"]

MD_SUFFIX = ".prompt.md"
YAML_SUFFIX = ".prompt.yaml"
PROMPTS_DIR = "prompts"


@dataclass(frozen=True)
class Template:
    """One message template and where its text starts in the file (for located errors)."""

    role: Role
    source: str
    field: str  # "body", "system" or "messages[2].content"
    line: int
    col: int
    # True where the template's text stands in the file as it is (the body, `|` blocks), so a
    # template line maps to a file line by offset; folded, plain and quoted YAML values do not.
    exact: bool = True
    end_line: int = 0


@dataclass(frozen=True)
class Prompt:
    id: str
    path: str  # repository-relative, posix: prompts/<collection>/.../<name>.prompt.md
    form: Form
    meta: dict[str, Any]  # the front matter, defaults applied
    templates: tuple[Template, ...]
    digest: str  # sha256 of the file's bytes
    text: str = field(repr=False)  # the whole file, decoded
    document: YamlDocument = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        return str(self.meta["title"])

    @property
    def description(self) -> str:
        return str(self.meta["description"])

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    @property
    def status(self) -> str:
        return str(self.meta["status"])

    @property
    def scope(self) -> str:
        return str(self.meta["scope"])

    @property
    def channel(self) -> str:
        return str(self.meta["channel"])

    @property
    def owners(self) -> list[str]:
        return list(self.meta["owners"])

    @property
    def tags(self) -> list[str]:
        return list(self.meta["tags"])

    @property
    def aliases(self) -> list[str]:
        return list(self.meta["aliases"])

    @property
    def replaced_by(self) -> str | None:
        value = self.meta.get("replaced_by")
        return None if value is None else str(value)

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        return dict(self.meta["inputs"])

    @property
    def tests(self) -> list[dict[str, Any]]:
        return list(self.meta["tests"])

    @property
    def model(self) -> dict[str, Any]:
        return dict(self.meta.get("model") or {})

    @property
    def collection(self) -> str:
        return self.id.split("/", 1)[0]

    def place(self, key: tuple[str | int, ...]) -> tuple[int, int]:
        """(line, col) of the front-matter value at ``key`` (or of the nearest parent)."""
        where = self.document.position(key)
        return where.line, where.col

    def summary(self) -> dict[str, Any]:
        """The fields every listing shows (the `--json` shape of `list`)."""
        return summary_of(self)

    def messages(self) -> list[dict[str, str]]:
        """The message templates, unrendered: ``[{"role", "content"}]``."""
        return [{"role": t.role, "content": t.source} for t in self.templates]

    def detail(self) -> dict[str, Any]:
        """Everything a client needs to use the prompt (the `--json` shape of `show`)."""
        return {
            **self.summary(),
            "replaced_by": self.replaced_by,
            "form": self.form,
            "inputs": self.inputs,
            "model": self.model,
            "messages": self.messages(),
            "tests": self.tests,
        }


class Listed(Protocol):
    """What a listing shows of a prompt: a ``Prompt``, or the read API's record of one."""

    @property
    def id(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def owners(self) -> Sequence[str]: ...
    @property
    def aliases(self) -> Sequence[str]: ...
    @property
    def collection(self) -> str: ...


def summary_of(prompt: Listed) -> dict[str, Any]:
    """The fields every listing shows (the `--json` shape of `list`)."""
    return {
        "id": prompt.id,
        "title": prompt.title,
        "description": prompt.description,
        "version": prompt.version,
        "status": prompt.status,
        "scope": prompt.scope,
        "channel": prompt.channel,
        "tags": list(prompt.tags),
        "owners": list(prompt.owners),
        "collection": prompt.collection,
        "aliases": list(prompt.aliases),
        "path": prompt.path,
    }


def prompt_id_for(path: str) -> str | None:
    """``prompts/a/b.prompt.md`` -> ``a/b``; None for a path that is not a prompt file."""
    if not path.startswith(PROMPTS_DIR + "/"):
        return None
    rest = path[len(PROMPTS_DIR) + 1 :]
    for suffix in (MD_SUFFIX, YAML_SUFFIX):
        if rest.endswith(suffix):
            return rest[: -len(suffix)]
    return None


def is_partial_path(path: str) -> bool:
    """Any path part under prompts/ that starts with "_" makes a file a partial, not a prompt
    (every part after the first follows a "/")."""
    return "/_" in path
