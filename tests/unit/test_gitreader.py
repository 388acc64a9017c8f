"""The one Git reader: trees with subtree reuse, blobs with a size bound, a path's first-parent log
(git's own log and the pygit2 walk give the same answer), and one ``classify``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from promptctl.errors import RepositoryError
from promptctl.gitreader import GitRepository, PathChange, TreeCache, git_blob_id
from promptctl.layout import classify
from promptctl.sources import MAX_FILE_BYTES
from tests.conftest import GOOD_PROMPT, ROOT, RepoFactory, git, write_files

GREET = "prompts/demo/greet.prompt.md"
GREET_YAML = "prompts/demo/greet.prompt.yaml"


def _commit(repo: Path, message: str, files: dict[str, str | None]) -> str:
    for rel, text in files.items():
        if text is None:
            (repo / rel).unlink()
        else:
            write_files(repo, {rel: text})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _history(make_repo: RepoFactory) -> tuple[Path, list[str]]:
    """Edits, a deletion and a re-add, an unrelated commit, and a merged side branch."""
    repo = make_repo({GREET: GOOD_PROMPT, "prompts/demo/other.prompt.md": GOOD_PROMPT})
    commits = [git(repo, "rev-parse", "HEAD").strip()]
    commits.append(_commit(repo, "edit", {GREET: GOOD_PROMPT.replace("1.0.0", "1.0.1")}))
    commits.append(_commit(repo, "unrelated", {"prompts/demo/other.prompt.md": GOOD_PROMPT + "x"}))
    commits.append(_commit(repo, "delete", {GREET: None}))
    commits.append(_commit(repo, "re-add as yaml", {GREET_YAML: "title: x\n"}))
    git(repo, "checkout", "-q", "-b", "side")
    _commit(repo, "inside the pull request", {GREET: GOOD_PROMPT.replace("1.0.0", "9.9.9")})
    _commit(repo, "the pull request's last state", {GREET: GOOD_PROMPT.replace("1.0.0", "2.0.0")})
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side")
    commits.append(git(repo, "rev-parse", "HEAD").strip())
    return repo, commits


def test_path_log_lists_the_first_parent_commits_where_the_path_changed(
        make_repo: RepoFactory) -> None:
    repo, commits = _history(make_repo)
    reader = GitRepository(repo)
    head = reader.commit_id("main")
    log = list(reader.path_log(head, [GREET, GREET_YAML]))
    blob = git(repo, "rev-parse", f"main:{GREET}").strip()
    yaml_blob = git(repo, "rev-parse", f"main:{GREET_YAML}").strip()
    first = git(repo, "rev-parse", f"{commits[0]}:{GREET}").strip()
    second = git(repo, "rev-parse", f"{commits[1]}:{GREET}").strip()
    assert log == [
        PathChange(commits[5], GREET, blob),  # the merge: the pull request's final state only
        PathChange(commits[4], GREET_YAML, yaml_blob),
        PathChange(commits[3], GREET, None),
        PathChange(commits[1], GREET, second),
        PathChange(commits[0], GREET, first),
    ]
    # Without git, the pygit2 walk gives the same answer.
    assert list(reader._walk_log(head, [GREET, GREET_YAML])) == log


def test_path_log_without_git_walks_with_pygit2(make_repo: RepoFactory,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _commits = _history(make_repo)
    reader = GitRepository(repo)
    head = reader.commit_id("main")
    expected = list(reader.path_log(head, [GREET]))
    monkeypatch.setenv("PATH", "/nonexistent")  # no git on the PATH
    assert list(reader.path_log(head, [GREET])) == expected


def test_tree_walk_reuses_unchanged_folders(make_repo: RepoFactory,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo({GREET: GOOD_PROMPT, "prompts/other/a.prompt.md": GOOD_PROMPT,
                      "prompts/_partials/p.md": "text"})
    reader = GitRepository(repo)
    cache = TreeCache()
    first = reader.tree_files(reader.commit_id("main"), cache=cache)
    second_commit = _commit(repo, "edit", {GREET: GOOD_PROMPT + "more"})
    read: list[str] = []
    walk = reader._walk

    def counting(prefix: str, tree_id: str, *args: object) -> object:
        read.append(prefix)
        return walk(prefix, tree_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(reader, "_walk", counting)
    second = reader.tree_files(second_commit, cache=cache)
    assert [f.path for f in first] == [f.path for f in second] == [
        "prompts/_partials/p.md", GREET, "prompts/other/a.prompt.md"]
    assert {f.path: f.blob for f in second}[GREET] == git_blob_id(
        (GOOD_PROMPT + "more").encode())
    # prompts/ and prompts/demo changed; prompts/other and prompts/_partials are reused.
    unchanged = [k for k in cache.subtrees if k[0] in ("prompts/other", "prompts/_partials")]
    assert len(unchanged) == 2
    assert "prompts/demo" in read


def test_blobs_over_the_bound_are_refused_unread(make_repo: RepoFactory) -> None:
    repo = make_repo({GREET: "x" * (MAX_FILE_BYTES + 1)})
    reader = GitRepository(repo)
    [file] = reader.tree_files(reader.commit_id("main"))
    assert reader.read(file).kind == "oversize"
    assert reader.read(file).size == MAX_FILE_BYTES + 1
    with pytest.raises(RepositoryError, match="over the"):
        reader.blob(file.blob or "")


@pytest.mark.parametrize(("path", "kind"), [
    ("prompts/_partials/sign.md", "partial"),
    ("prompts/demo/_drafts/x.prompt.md", "partial"),
    ("prompts/demo/greet.prompt.md", "prompt"),
    ("prompts/demo/deep/greet.prompt.yaml", "prompt"),
    ("prompts/greet.prompt.md", "loose"),
    ("prompts/demo/greet.prompt.yml", "misnamed"),
    ("prompts/demo/greet.prompt.json", "misnamed"),
    ("prompts/demo/notes.md", "stray"),
    ("prompts/demo/README.md", "other"),
    ("prompts/demo/image.png", "other"),
])
def test_classify(path: str, kind: str) -> None:
    assert classify(path) == kind


def test_one_message_for_a_repository_and_for_a_ref(tmp_path: Path,
                                                   make_repo: RepoFactory) -> None:
    with pytest.raises(RepositoryError, match="is not a readable Git repository"):
        GitRepository(tmp_path)
    reader = GitRepository(make_repo({GREET: GOOD_PROMPT}))
    with pytest.raises(RepositoryError, match="'nope' names no commit"):
        reader.commit_id("nope")


def _count_walks(monkeypatch: pytest.MonkeyPatch, reader: GitRepository) -> list[list[str]]:
    """The paths of each log ``reader`` starts from now on (it still starts them)."""
    walks: list[list[str]] = []
    start_path_log = reader.start_path_log

    def counted(head: str, paths: list[str]) -> object:
        walks.append(list(paths))
        return start_path_log(head, paths)

    monkeypatch.setattr(reader, "start_path_log", counted)
    return walks


def test_versions_of_several_prompts_come_from_one_walk(make_repo: RepoFactory,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from promptctl.history import History

    repo, _commits = _history(make_repo)
    _commit(repo, "other 1.0.1", {"prompts/demo/other.prompt.md":
                                  GOOD_PROMPT.replace("1.0.0", "1.0.1")})
    one_by_one = {i: History(repo, "main").versions(i) for i in ("demo/greet", "demo/other")}
    history = History(repo, "main")
    walks = _count_walks(monkeypatch, history.git)
    history.read_versions(["demo/greet", "demo/other"])
    assert {i: history.versions(i) for i in one_by_one} == one_by_one
    assert len(walks) == 1
    assert [r.version for r in one_by_one["demo/greet"]] == ["1.0.0", "1.0.1", "2.0.0"]
    assert [r.version for r in one_by_one["demo/other"]] == ["1.0.0", "1.0.1"]


def test_work_tree_files_are_what_hashing_every_file_gives(make_repo: RepoFactory) -> None:
    import os

    from promptctl.sources import WorkTreeSource

    repo = make_repo({GREET: GOOD_PROMPT, "prompts/demo/kept.prompt.md": GOOD_PROMPT + "kept",
                      "prompts/demo/gone.prompt.md": GOOD_PROMPT + "gone",
                      "prompts/demo/staged.prompt.md": GOOD_PROMPT + "staged",
                      ".gitignore": "*.tmp\nprompts/scratch/\n", "README.md": "outside"})
    write_files(repo, {GREET: GOOD_PROMPT + "edited",  # modified, not staged
                       "prompts/demo/new.prompt.md": "untracked",
                       "prompts/demo/notes.tmp": "ignored file",
                       "prompts/scratch/a.prompt.md": "in an ignored folder",
                       "prompts/demo/staged.prompt.md": GOOD_PROMPT + "staged, then edited"})
    git(repo, "add", "prompts/demo/staged.prompt.md")
    write_files(repo, {"prompts/demo/staged.prompt.md": GOOD_PROMPT + "edited after staging"})
    (repo / "prompts/demo/gone.prompt.md").unlink()
    os.symlink("greet.prompt.md", repo / "prompts/demo/link.prompt.md")
    expected = {f.path: (git_blob_id(f.data) if f.kind == "file" else None, f.kind)
                for f in WorkTreeSource(repo).files()}
    found = {f.path: (f.blob, f.kind) for f in GitRepository(repo).work_tree_files()}
    assert found == expected
    assert "prompts/demo/gone.prompt.md" not in found
    assert found["prompts/demo/kept.prompt.md"][0] == git(
        repo, "rev-parse", "HEAD:prompts/demo/kept.prompt.md").strip()


def test_a_started_log_runs_before_it_is_read_and_ends_when_closed_unread(
        make_repo: RepoFactory) -> None:
    repo, _commits = _history(make_repo)
    reader = GitRepository(repo)
    head = reader.commit_id("main")
    expected = list(reader.path_log(head, [GREET, GREET_YAML]))
    with reader.start_path_log(head, [GREET, GREET_YAML]) as log:
        process = log._process
        assert process is not None  # git runs before anyone reads
        assert list(log.read(reader)) == expected
        with pytest.raises(RuntimeError, match="read once"):
            list(log.read(reader))
    unread = reader.start_path_log(head, [GREET])
    process = unread._process
    assert process is not None
    unread.close()
    assert process.returncode is not None  # ended and reaped, never left running
    with pytest.raises(RuntimeError, match="read once"):
        list(unread.read(reader))  # a closed log is not walked again some other way


def test_a_started_log_without_git_walks_with_pygit2(make_repo: RepoFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _commits = _history(make_repo)
    reader = GitRepository(repo)
    head = reader.commit_id("main")
    expected = list(reader.path_log(head, [GREET, GREET_YAML]))
    monkeypatch.setenv("PATH", "/nonexistent")
    with reader.start_path_log(head, [GREET, GREET_YAML]) as log:
        assert log._process is None
        assert list(log.read(reader)) == expected


def test_versions_read_from_a_started_log_of_more_paths(make_repo: RepoFactory,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``check`` starts one log over every changed prompt before it knows which ones the rules
    will ask about: the versions read from it are those of a log of the prompt's own paths."""
    from promptctl.history import History, prompt_paths

    repo, _commits = _history(make_repo)
    _commit(repo, "other 1.0.1", {"prompts/demo/other.prompt.md":
                                  GOOD_PROMPT.replace("1.0.0", "1.0.1")})
    alone = History(repo, "main").versions("demo/greet")
    history = History(repo, "main")
    started = history.git.start_path_log(
        history.head_id, [*prompt_paths("demo/other"), *prompt_paths("demo/greet")])
    walks = _count_walks(monkeypatch, history.git)
    history.read_versions(["demo/greet"], started)
    assert walks == []  # the started log was used
    assert history.versions("demo/greet") == alone
    assert [r.version for r in alone] == ["1.0.0", "1.0.1", "2.0.0"]
    # A started log that does not follow the prompt's paths is not used: another is started.
    other = History(repo, "main")
    narrow = other.git.start_path_log(other.head_id, prompt_paths("demo/other"))
    walks = _count_walks(monkeypatch, other.git)
    other.read_versions(["demo/greet"], narrow)
    narrow.close()
    assert walks == [list(prompt_paths("demo/greet"))]
    assert other.versions("demo/greet") == alone


def test_a_change_log_is_started_by_git_alone(make_repo: RepoFactory,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``check``'s log of the changed prompts, started before pygit2 lists a tree: the files
    git's diff-tree names, as ``paths_for`` turns them into paths, on the base's commit."""
    from promptctl.gitreader import start_change_log

    repo, _commits = _history(make_repo)
    git(repo, "checkout", "-q", "-b", "pr")
    _commit(repo, "edit both", {GREET: GOOD_PROMPT + "x", "prompts/demo/other.prompt.md": None,
                                "prompts/_partials/p.md": "text"})
    reader = GitRepository(repo)
    seen: list[list[str]] = []

    def paths_for(changed: list[str]) -> list[str]:
        seen.append(changed)
        return [p for p in changed if not p.startswith("prompts/_")]

    with start_change_log(repo, "main", "pr", paths_for) as log:  # type: ignore[union-attr]
        assert seen == [["prompts/_partials/p.md", GREET, "prompts/demo/other.prompt.md"]]
        assert log.head == reader.commit_id("main")
        assert log.paths == [GREET, "prompts/demo/other.prompt.md"]
        assert list(log.read(reader)) == list(reader.path_log(log.head, log.paths))
    # Nothing to follow, a ref git cannot name, an option, no git: no log (check reads it later).
    assert start_change_log(repo, "main", "pr", lambda changed: []) is None
    assert start_change_log(repo, "main", "nope", paths_for) is None
    assert start_change_log(repo, "--output=x", "pr", paths_for) is None
    assert not (repo / "x").exists()
    monkeypatch.setenv("PATH", "/nonexistent")
    assert start_change_log(repo, "main", "pr", paths_for) is None


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads /proc/self/smaps")
def test_a_process_that_read_every_blob_holds_a_bounded_part_of_the_pack(
        make_repo: RepoFactory, tmp_path: Path) -> None:
    """What a server does once (it keeps every prompt's text): read each blob of a pack. With
    the bound, the pack stays mostly unmapped; without it, libgit2 keeps all of it mapped."""
    files = {f"prompts/c/p{n}.md": os.urandom(24_000).hex() for n in range(160)}  # a 4 MB pack
    repo = make_repo(files)
    git(repo, "gc", "-q")
    script = tmp_path / "read_all.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from promptctl.gitreader import GitRepository, bound_pack_maps\n"
        "if sys.argv[2] == 'bounded':\n"
        "    bound_pack_maps(window=256 << 10, total=1 << 20)\n"
        "git = GitRepository(Path(sys.argv[1]))\n"
        "for file in git.tree_files(git.commit_id('main')):\n"
        "    git.read(file)\n"
        "kib, current = 0, ''\n"
        "for line in open('/proc/self/smaps'):\n"
        "    if not line[0].isupper():\n"
        "        current = line.split()[-1]\n"
        "    elif line.startswith('Rss:') and current.endswith('.pack'):\n"
        "        kib += int(line.split()[1])\n"
        "print(kib)\n", encoding="utf-8")

    def resident_kib(mode: str) -> int:
        done = subprocess.run([sys.executable, str(script), str(repo), mode], check=True,
                              capture_output=True, text=True, cwd=ROOT)
        return int(done.stdout)

    assert resident_kib("default") > 3_000
    assert resident_kib("bounded") <= 1_600
