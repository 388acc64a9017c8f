"""What a path under ``prompts/`` is: the one answer the loader, ``check`` and the server share."""

from __future__ import annotations

from typing import Literal

from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX, is_partial_path

PathKind = Literal["partial", "prompt", "loose", "misnamed", "stray", "other"]


def classify(path: str) -> PathKind:
    """- ``partial``: a fragment for ``{% include %}`` (a path part starting with "_");
    - ``prompt``: a prompt file in a collection folder;
    - ``loose``: a prompt file directly under prompts/ (an error: it needs a collection);
    - ``misnamed``: ``.prompt.yml`` or ``.prompt.json`` (an error: rename it);
    - ``stray``: another .md or YAML file, not a README (a warning: ignored);
    - ``other``: anything else, ignored in silence.

    A symbolic link or special file is judged by its name like any file; the loader then
    refuses what it is.
    """
    if is_partial_path(path):
        return "partial"
    name = path[len(PROMPTS_DIR) + 1 :] if path.startswith(PROMPTS_DIR + "/") else path
    if path.endswith((MD_SUFFIX, YAML_SUFFIX)):
        return "prompt" if "/" in name else "loose"
    if path.endswith((".prompt.yml", ".prompt.json")):
        return "misnamed"
    if path.endswith((".md", ".yaml", ".yml")) and name.rsplit("/", 1)[-1] != "README.md":
        return "stray"
    return "other"


def is_prompt_file(path: str) -> bool:
    """Whether the loader reads ``path`` as a prompt (a prompt file in a collection)."""
    return classify(path) == "prompt"
