"""The same loader over a work tree and over Git objects (no checkout, bare clones too)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from promptctl.errors import RepositoryError
from promptctl.library import Library
from promptctl.sources import MAX_FILE_BYTES, GitTreeSource, WorkTreeSource
from tests.conftest import GIT_ENV, GOOD_PROMPT, RepoFactory, git

PARTIAL_USER = GOOD_PROMPT.replace(
    "Hello, {{ name }}", '{% include "_partials/sign.md" %} Hello, {{ name }}'
)


def _kinds(files: list[tuple[str, str]]) -> dict[str, str]:
    return dict(files)


def test_work_tree_and_git_tree_yield_the_same_files(make_repo: RepoFactory) -> None:
    repo = make_repo({
        "prompts/demo/greet.prompt.md": GOOD_PROMPT,
        "prompts/_partials/sign.md": "Signed, {{ name }}",
        "prompts/demo/nested/deep.prompt.md": GOOD_PROMPT,
        "README.md": "not under prompts/",
    })
    work = [(f.path, f.data) for f in WorkTreeSource(repo).files()]
    tree = [(f.path, f.data) for f in GitTreeSource(repo, "main").files()]
    assert sorted(work) == sorted(tree)
    assert {p for p, _ in work} == {
        "prompts/demo/greet.prompt.md",
        "prompts/_partials/sign.md",
        "prompts/demo/nested/deep.prompt.md",
    }


def test_git_source_reads_an_old_commit_without_checkout(make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "prompts/demo/greet.prompt.md").write_text(
        GOOD_PROMPT.replace("version: 1.0.0", "version: 1.1.0"), encoding="utf-8")
    git(repo, "commit", "-qam", "bump")
    old = Library.load(GitTreeSource(repo, first))
    new = Library.load(GitTreeSource(repo, "main"))
    assert old.get("demo/greet").version == "1.0.0"
    assert new.get("demo/greet").version == "1.1.0"
    assert first[:12] in GitTreeSource(repo, first).describe()


def test_bare_clone_is_enough(make_repo: RepoFactory, tmp_path: Path) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True,
                   env={**os.environ, **GIT_ENV})
    library = Library.load(GitTreeSource(bare, "main"))
    assert library.ok
    assert list(library.prompts) == ["demo/greet"]


def test_git_source_reports_links_and_oversize_blobs(make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT,
                      "prompts/demo/big.prompt.md": "x" * (MAX_FILE_BYTES + 1)})
    os.symlink("greet.prompt.md", repo / "prompts/demo/link.prompt.md")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "link")
    kinds = {f.path: f.kind for f in GitTreeSource(repo, "main").files()}
    assert kinds["prompts/demo/link.prompt.md"] == "symlink"
    assert kinds["prompts/demo/big.prompt.md"] == "oversize"
    library = Library.load(GitTreeSource(repo, "main"))
    codes = {(p.path, p.code) for p in library.problems}
    assert ("prompts/demo/link.prompt.md", "symlink") in codes
    assert ("prompts/demo/big.prompt.md", "file-too-large") in codes
    assert list(library.prompts) == ["demo/greet"]


@pytest.mark.parametrize("ref", ["no-such-branch", "0" * 40])
def test_unknown_ref_is_a_clear_error(make_repo: RepoFactory, ref: str) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    with pytest.raises(RepositoryError, match="names no commit"):
        GitTreeSource(repo, ref)


def test_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="not a readable Git repository"):
        GitTreeSource(tmp_path, "main")
