"""A loaded prompt library: every prompt and partial of one source, with its problems."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from promptctl import config as config_module
from promptctl.config import Config
from promptctl.errors import InvalidPrompt, PromptNotFound
from promptctl.layout import classify
from promptctl.loader import load_prompt, read_partial
from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX, Prompt, prompt_id_for
from promptctl.problems import Problem, error, has_errors, warning
from promptctl.render import Renderer
from promptctl.sources import GitTreeSource, Source, SourceFile, WorkTreeSource
from promptctl.validate import check_library


def misplaced(path: str, kind: str) -> Problem | None:
    """The problem of a file under prompts/ that ``layout.classify`` finds out of place
    ("loose", "misnamed", "stray"); None for the other kinds."""
    name = path[len(PROMPTS_DIR) + 1 :]
    if kind == "loose":
        return error(path, 1, 1, "collection", f"prompts live in a collection folder; move it "
                     f"to prompts/<collection>/{name}")
    if kind == "misnamed":
        return error(path, 1, 1, "file-name",
                     f"prompt files end in {MD_SUFFIX} or {YAML_SUFFIX}; rename it to "
                     f"{path.rsplit('.', 1)[0]}.yaml" if path.endswith(".yml")
                     else f"prompt files end in {MD_SUFFIX} or {YAML_SUFFIX}")
    if kind == "stray":
        return warning(path, 1, 1, "not-a-prompt",
                       f"ignored: not a prompt file (prompts end in {MD_SUFFIX} or "
                       f"{YAML_SUFFIX}; shared fragments go in _partials/)")
    return None


def duplicate_id(path: str, prompt_id: str, first: str) -> Problem:
    return error(path, 1, 1, "duplicate-id", f"id {prompt_id!r} is also defined by {first}; an "
                 "id names one file: rename or remove one of them")


@dataclass
class Library:
    source_name: str
    config: Config = field(default_factory=Config)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    partials: dict[str, str] = field(default_factory=dict)  # name under prompts/ -> text
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> id
    broken: dict[str, str] = field(default_factory=dict)  # id -> path of a file that failed to load
    problems: list[Problem] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # paths of the files loaded and checked
    _renderer: Renderer | None = field(default=None, repr=False)

    @classmethod
    def load(cls, source: Source, config: Config | None = None) -> Library:
        """Every file of ``source``."""
        library = cls(source.describe(), config or Config())
        for file in source.files():
            library._add(file)
        problems, library.aliases = check_library(library.prompts, library.partials)
        library.problems.extend(problems)
        library.problems.sort()
        return library

    @classmethod
    def from_work_tree(cls, root: Path) -> Library:
        config_path = root / config_module.CONFIG_FILE
        data = config_path.read_bytes() if config_path.is_file() else None
        return cls.load(WorkTreeSource(root), config_module.parse(data))

    @classmethod
    def from_commit(cls, repo_root: Path, ref: str) -> Library:
        """The library of one commit, with that commit's promptctl.yaml."""
        source = GitTreeSource(repo_root, ref)
        data = source.read(config_module.CONFIG_FILE)
        return cls.load(source, config_module.parse(data, f"{ref}:{config_module.CONFIG_FILE}"))

    def _add(self, file: SourceFile) -> None:
        path = file.path
        name = path[len(PROMPTS_DIR) + 1 :]
        kind = classify(path)
        if kind == "partial":
            self.checked.append(path)
            text, bad = read_partial(file)
            if bad or text is None:
                self.problems.extend([bad] if bad else [])
                return
            self.partials[name] = text
            return
        if kind in ("prompt", "loose") or file.kind == "symlink":
            self.checked.append(path)
            loose = misplaced(path, kind)
            if loose is not None:
                self.problems.append(loose)
                return
            result = load_prompt(file)
            self.problems.extend(result.problems)
            prompt = result.prompt
            if prompt is None:
                broken_id = prompt_id_for(path)
                if broken_id is not None:
                    self.broken.setdefault(broken_id, path)
                return
            other = self.prompts.get(prompt.id)
            if other is not None:
                self.problems.append(duplicate_id(path, prompt.id, other.path))
                return
            self.prompts[prompt.id] = prompt
            return
        if kind == "misnamed":
            self.checked.append(path)
        problem = misplaced(path, kind)
        if problem is not None:
            self.problems.append(problem)

    @property
    def files_checked(self) -> int:
        return len(self.checked)

    # --- lookups ----------------------------------------------------------------------------

    def errors_for(self, path: str) -> list[Problem]:
        return [p for p in self.problems if p.path == path and p.is_error]

    def get(self, ref: str) -> Prompt:
        """A prompt by id or alias; ``PromptNotFound`` with the closest ids as a hint."""
        prompt_id = self.aliases.get(ref, ref)
        prompt = self.prompts.get(prompt_id)
        if prompt is None and prompt_id in self.broken:
            problems = self.errors_for(self.broken[prompt_id])
            first = problems[0].format_text() if problems else self.broken[prompt_id]
            raise InvalidPrompt(
                f"{prompt_id} does not load ({len(problems)} error(s)), first: {first}; fix it "
                "(`promptctl validate` lists all)",
                list(problems),
            )
        if prompt is None:
            close = difflib.get_close_matches(ref, [*self.prompts, *self.aliases], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `promptctl list`"
            raise PromptNotFound(f"no prompt {ref!r} in {self.source_name}{hint}")
        return prompt

    def usable(self, ref: str) -> Prompt:
        """A prompt that passed validation, ready to render."""
        prompt = self.get(ref)
        problems = self.errors_for(prompt.path)
        if problems:
            first = problems[0].format_text()
            raise InvalidPrompt(
                f"{prompt.id} is invalid ({len(problems)} error(s)), first: {first}; "
                "fix it (`promptctl validate` lists all)",
                list(problems),
            )
        return prompt

    def select(
        self,
        *,
        tags: Iterable[str] = (),
        collection: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        channel: str | None = None,
    ) -> list[Prompt]:
        wanted_tags = set(tags)
        found = []
        for prompt in sorted(self.prompts.values(), key=lambda p: p.id):
            if wanted_tags and not wanted_tags <= set(prompt.tags):
                continue
            if collection and not (prompt.id + "/").startswith(collection.strip("/") + "/"):
                continue
            if status and prompt.status != status:
                continue
            if channel and prompt.channel != channel:
                continue
            if owner and owner.lstrip("@").lower() not in {
                o.lstrip("@").lower() for o in prompt.owners
            }:
                continue
            found.append(prompt)
        return found

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = Renderer(
                self.partials,
                max_output_bytes=self.config.max_output_bytes,
                timeout_seconds=self.config.timeout_seconds,
            )
        return self._renderer

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)
