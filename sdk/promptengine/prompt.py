"""A prompt as the client hands it out: one version, rendered locally in promptctl's sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from promptengine.core import errors, inputs, loader, render, sources
from promptengine.errors import InvalidInputs, PromptEngineError, RenderFailed

if TYPE_CHECKING:
    from promptctl.model import Prompt as CorePrompt
    from promptctl.render import Renderer

Origin = Literal["server", "cache", "fallback"]
_JSON_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Rendered:
    """The messages to send (system first where there is one) and ``text``, the messages
    joined, exactly as ``promptctl render --json`` and the API's ``:render`` give them."""

    id: str
    version: str
    commit: str | None
    messages: list[dict[str, str]]
    text: str

    def as_dict(self) -> dict[str, Any]:
        """The API's ``:render`` answer."""
        return {"messages": [dict(m) for m in self.messages], "text": self.text, "id": self.id,
                "version": self.version, "commit": self.commit}


class Prompt:
    """One version of one prompt. ``origin`` says where it came from: the ``server`` (or the
    cache within its TTL, or confirmed by a 304), the ``cache`` when the server could not be
    asked (then ``stale`` is true and ``stale_reason`` says why), or the ``fallback`` given in
    code. Immutable and safe to share between threads."""

    def __init__(self, core: CorePrompt, renderer: Renderer, *, commit: str | None,
                 origin: Origin,
                 stale_reason: str | None = None,
                 on_render: Callable[[str, str], None] | None = None) -> None:
        self._core = core
        self._renderer = renderer
        self.commit = commit
        self.origin: Origin = origin
        self.stale_reason = stale_reason
        self._on_render = on_render

    def stale_copy(self, reason: str) -> Prompt:
        """This prompt, served from the cache because the server could not be asked."""
        return Prompt(self._core, self._renderer, commit=self.commit, origin="cache",
                      stale_reason=reason, on_render=self._on_render)

    @property
    def stale(self) -> bool:
        """True when this copy was served because the server could not be asked."""
        return self.stale_reason is not None

    @property
    def id(self) -> str:
        """The prompt's id (never an alias)."""
        return self._core.id

    @property
    def version(self) -> str:
        return self._core.version

    @property
    def title(self) -> str:
        return self._core.title

    @property
    def description(self) -> str:
        return self._core.description

    @property
    def status(self) -> str:
        return self._core.status

    @property
    def replaced_by(self) -> str | None:
        return self._core.replaced_by

    @property
    def tags(self) -> list[str]:
        return self._core.tags

    @property
    def model(self) -> dict[str, Any]:
        """Model hints from the front matter (name, temperature, ...)."""
        return self._core.model

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        """Declared inputs: name -> JSON Schema (type, description, default, enum, ...)."""
        return self._core.inputs

    @property
    def source(self) -> str:
        """The prompt file's text."""
        return self._core.text

    def __repr__(self) -> str:
        stale = ", stale" if self.stale else ""
        return f"<Prompt {self.id}@{self.version} from {self.origin}{stale}>"

    def render(self, values: Mapping[str, Any] | None = None, /, **named: Any) -> Rendered:
        """Render with ``values`` and/or keyword inputs (a name that is not a Python identifier
        goes in ``values``). Values are JSON data (str, int, float, bool, None, lists and dicts
        of them), checked against the declared inputs with defaults applied, as the server
        does; they are data, never templates.

        Raises ``InvalidInputs`` (``fields`` names each bad input) or ``RenderFailed``.
        """
        given = {**(values or {}), **named}
        prompt = self._core
        try:
            resolved = inputs.resolve(prompt, _as_json(prompt.id, given))
            result = self._renderer.render(prompt, resolved)
        except errors.InputError as exc:
            raise InvalidInputs(exc.message, dict(exc.fields)) from None
        except errors.RenderError as exc:
            owners = ", ".join(prompt.owners)
            raise RenderFailed(f"{exc.message}; tell the prompt's owners ({owners})") from None
        if self._on_render is not None:
            self._on_render(prompt.id, prompt.version)
        return Rendered(prompt.id, prompt.version, self.commit,
                        [{"role": m.role, "content": m.content} for m in result.messages],
                        result.text)


def _as_json(prompt_id: str, given: dict[str, Any]) -> dict[str, Any]:
    """The values as the server would receive them: JSON data. Plain scalars pass as they are;
    anything else goes through JSON once (tuples become lists), and what JSON cannot carry is
    refused, naming the input."""
    out: dict[str, Any] = {}
    fields: dict[str, str] = {}
    for name, value in given.items():
        if type(value) in _JSON_SCALARS:
            out[name] = value
            continue
        try:
            out[name] = json.loads(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            fields[name] = (f"{type(value).__name__} is not JSON data; pass str, int, float, "
                            "bool, None, or lists and dicts of them")
    if fields:
        detail = "; ".join(f"{name}: {why}" for name, why in sorted(fields.items()))
        raise InvalidInputs(f"invalid inputs for {prompt_id}: {detail}", fields)
    return out


def load(source: str, path: str) -> CorePrompt:
    """The core's ``Prompt`` from a prompt file's text; ``PromptEngineError`` where it does not
    load (a fallback with a mistake, or a cache entry from another version)."""
    data = source.encode("utf-8")
    result = loader.load_prompt(sources.SourceFile(path, data, "file", len(data)))
    if result.prompt is None:
        problem = result.problems[0] if result.problems else None
        where = f"{problem.path}:{problem.line}: {problem.message}" if problem else path
        raise PromptEngineError(f"the prompt file does not load: {where}")
    return result.prompt


def renderer(partials: Mapping[str, str], limits: Mapping[str, Any] | None) -> Renderer:
    limits = limits or {}
    return render.Renderer(
        dict(partials),
        max_output_bytes=int(limits.get("max_output_bytes", render.DEFAULT_MAX_OUTPUT_BYTES)),
        timeout_seconds=float(limits.get("timeout_seconds", render.DEFAULT_TIMEOUT_SECONDS)))
