"""``init`` (a new prompt repository) and ``new`` (a new prompt file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from promptctl import __version__
from promptctl.errors import UsageError
from promptctl.library import Library
from promptctl.loader import SEGMENT
from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX
from promptctl.schema import PROMPT_SCHEMA, load_schema, schemas_dir

SKELETON = Path(__file__).parent / "skeleton"
DEFAULT_OWNER = "@your-org/prompt-owners"
# Where a new library's workflow takes the Prompt Engine action from: a placeholder that the
# scaffolded workflow tells the team to change (`init --action OWNER/REPO` sets it).
DEFAULT_ACTION = "your-org/prompt-engine"
_ACTION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+")


def _skeleton_files(owner: str, action: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(SKELETON.rglob("*")):
        if path.is_file():
            rel = path.relative_to(SKELETON).as_posix()
            if rel.startswith("github/"):
                rel = "." + rel  # kept without the dot in the package so no tool skips it
            text = path.read_text(encoding="utf-8")
            text = (text.replace("@@OWNER@@", owner).replace("@@ACTION@@", action)
                    .replace("@@VERSION@@", __version__))
            files[rel] = text.encode("utf-8")
    for schema in sorted(schemas_dir().glob("*.schema.json")):
        files[f"schemas/{schema.name}"] = schema.read_bytes()
    return files


def init(directory: Path, *, owner: str = DEFAULT_OWNER,
         action: str = DEFAULT_ACTION) -> list[str]:
    """Write a repository that validates at once; refuse (writing nothing) if a file exists."""
    _check_owner(owner)
    if not _ACTION.fullmatch(action):
        raise UsageError(f"--action {action!r} is not OWNER/REPO: name the GitHub repository "
                         "that holds Prompt Engine, e.g. acme/prompt-engine")
    files = _skeleton_files(owner, action)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory")
    clashes = [rel for rel in files if (directory / rel).exists() or (directory / rel).is_symlink()]
    if clashes:
        raise UsageError(
            f"{directory} already has {', '.join(clashes)}; nothing was written. Run init in an "
            "empty folder, or move those files away first"
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / PROMPTS_DIR / "_partials").mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if not any((parent / ".git").exists() for parent in (directory.resolve(),
                                                         *directory.resolve().parents)):
        import pygit2

        pygit2.init_repository(str(directory), initial_head="main")
    return sorted(files)


def new_prompt(
    root: Path,
    prompt_id: str,
    *,
    owners: list[str],
    form: str = "md",
    title: str | None = None,
    description: str | None = None,
) -> Path:
    """Scaffold prompts/<id>.prompt.md (or .yaml) with valid front matter, a draft at 0.1.0."""
    segments = prompt_id.split("/")
    bad = [s for s in segments if not SEGMENT.fullmatch(s)]
    if bad or len(segments) < 2:
        raise UsageError(
            f"{prompt_id!r} is not a prompt id: ids are <collection>/<name>, lowercase segments of "
            "a-z, 0-9 and '-', e.g. engineering/code-review"
        )
    if form not in ("md", "yaml"):
        raise UsageError(f"--form {form!r}: choose md or yaml")
    if not owners:
        raise UsageError(
            "a prompt needs owners: pass --owner @you (or @org/team), or set defaults.owners in "
            "promptctl.yaml"
        )
    for owner in owners:
        _check_owner(owner)
    library = Library.from_work_tree(root)
    if prompt_id in library.prompts or prompt_id in library.aliases:
        taken = library.prompts.get(library.aliases.get(prompt_id, prompt_id))
        where = taken.path if taken else "another prompt"
        raise UsageError(f"id {prompt_id!r} is taken by {where}; choose another id")
    for suffix in (MD_SUFFIX, YAML_SUFFIX):
        existing = root / PROMPTS_DIR / f"{prompt_id}{suffix}"
        if existing.exists():
            raise UsageError(f"{existing.relative_to(root)} already exists; nothing written")
    name = segments[-1]
    title = title or name.replace("-", " ").capitalize()
    description = description or f"TODO: say what {title.lower()} is for and when to use it."
    suffix = MD_SUFFIX if form == "md" else YAML_SUFFIX
    target = root / PROMPTS_DIR / f"{prompt_id}{suffix}"
    depth = "../" * len(segments)
    text = (_markdown if form == "md" else _chat)(title, description, owners, depth)
    target.parent.mkdir(parents=True, exist_ok=True)
    # "x": fail rather than overwrite a file that appeared since the check above.
    with open(target, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return target


def _check_owner(owner: str) -> None:
    pattern = load_schema(PROMPT_SCHEMA)["properties"]["owners"]["items"]["pattern"]
    if not re.fullmatch(pattern, owner):
        raise UsageError(f"owner {owner!r} must be @user or @org/team")


def _front(title: str, description: str, owners: list[str], depth: str) -> str:
    owner_list = ", ".join(f'"{o}"' for o in owners)
    return (
        f"# yaml-language-server: $schema={depth}schemas/prompt.schema.json\n"
        f"title: {_quote(title)}\n"
        f"description: {_quote(description)}\n"
        "version: 0.1.0\n"
        "status: draft\n"
        f"owners: [{owner_list}]\n"
        "tags: []\n"
        "inputs:\n"
        "  topic:\n"
        "    type: string\n"
        "    description: What the prompt is about.\n"
        "    required: true\n"
        "tests:\n"
        "  - name: mentions the topic\n"
        "    inputs: {topic: example}\n"
        "    expect: {contains: example}\n"
    )


def _markdown(title: str, description: str, owners: list[str], depth: str) -> str:
    return f"---\n{_front(title, description, owners, depth)}---\nWrite about {{{{ topic }}}}.\n"


def _chat(title: str, description: str, owners: list[str], depth: str) -> str:
    return (
        _front(title, description, owners, depth)
        + "messages:\n"
        "  - role: system\n"
        "    content: You are a careful assistant.\n"
        "  - role: user\n"
        "    content: |\n"
        "      Write about {{ topic }}.\n"
    )


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)

