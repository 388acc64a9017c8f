"""Names: prompt ids as MCP prompt names and as Agent Skill URIs, and back.

A prompt id is ``/``-separated segments of ``[a-z0-9][a-z0-9-]*`` (``engineering/code-review``).
Clients show MCP prompts as slash commands and several split or escape ``/``, so a prompt's MCP
name is its id with ``/`` written as ``.`` (``engineering.code-review``). Ids never contain
``.``, so the mapping is reversible: ``prompt_id`` turns every ``.`` back into ``/``.

A skill is addressed by ``skill://<id>/SKILL.md``: the skill path is the prompt id, and its final
segment is the skill's ``name``. Agent Skills names are 1-64 characters of a-z, 0-9 and single
hyphens, neither starting nor ending with one. An id whose last segment breaks that (``a--b``,
``draft-``, longer than 64) keeps its collection path, and its last segment becomes the closest
valid name followed by ``-`` and eight hex digits of the id's SHA-256 (``a-b-1f2e3d4c``), so that
two such ids never share a URI.
"""

from __future__ import annotations

import hashlib
import re

SKILL_SCHEME = "skill://"
SKILL_FILE = "SKILL.md"
MAX_SKILL_NAME = 64
_SKILL_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")


def prompt_name(prompt_id: str) -> str:
    """``engineering/code-review`` -> ``engineering.code-review``."""
    return prompt_id.replace("/", ".")


def prompt_id(name: str) -> str:
    """The id of an MCP prompt name; an id (with ``/``) or an alias is returned as it is."""
    return name.replace(".", "/")


def is_id(text: str) -> bool:
    return bool(_ID.match(text))


def is_skill_name(name: str) -> bool:
    return len(name) <= MAX_SKILL_NAME and bool(_SKILL_NAME.match(name))


def skill_name(prompt_id: str) -> str:
    """The Agent Skills name of an id: its last segment, or the closest valid name plus a
    digest of the id where the segment is not a valid name."""
    segment = prompt_id.rpartition("/")[2]
    if is_skill_name(segment):
        return segment
    base = re.sub(r"-+", "-", segment).strip("-")[: MAX_SKILL_NAME - 9].rstrip("-") or "prompt"
    return f"{base}-{hashlib.sha256(prompt_id.encode()).hexdigest()[:8]}"


def skill_path(prompt_id: str) -> str:
    head, _sep, _last = prompt_id.rpartition("/")
    name = skill_name(prompt_id)
    return f"{head}/{name}" if head else name


def skill_uri(path: str, file: str = SKILL_FILE) -> str:
    return f"{SKILL_SCHEME}{path}/{file}"


def parse_skill_uri(uri: str) -> str | None:
    """``skill://a/b/SKILL.md`` -> ``a/b``; None for any other URI."""
    if not uri.startswith(SKILL_SCHEME):
        return None
    path, _sep, file = uri[len(SKILL_SCHEME):].rpartition("/")
    if not path or file != SKILL_FILE or not is_id(path):
        return None
    return path
