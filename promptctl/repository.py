"""Finding the repository a command works on."""

from __future__ import annotations

from pathlib import Path

from promptctl.errors import RepositoryError
from promptctl.model import PROMPTS_DIR


def find_root(start: Path | None = None) -> Path:
    """The Git work tree around ``start`` (default: the current directory).

    Falls back to the nearest folder holding prompts/ so that an exported copy without .git
    still works; otherwise says how to point at a repository.
    """
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    for candidate in (here, *here.parents):
        if (candidate / PROMPTS_DIR).is_dir():
            return candidate
    raise RepositoryError(
        f"{here} is not inside a Git work tree or a prompt repository; run the command inside "
        "one, pass --repo PATH, or create one with `promptctl init`"
    )


def resolve_root(repo: Path | None) -> Path:
    if repo is None:
        return find_root()
    if not repo.is_dir():
        raise RepositoryError(f"--repo {repo}: no such directory")
    return repo.resolve()
