"""`promptctl owners` and `promptctl codeowners` through the real CLI on real Git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import GOOD_PROMPT, ROOT, CliRunner, RepoFactory, git

BEGIN = "# BEGIN promptctl generated"
END = "# END promptctl generated"

# Mixed line ends, odd spacing and a line without owners: all kept byte for byte.
HEADER = (
    "# Kept by hand:   odd   spacing stays.\r\n"
    "* @acme/maintainers\r\n"
    "/docs/ @acme/writers\n"
    "/prompts/ml/legacy/ \t\n"
    "\n"
)


def _prompt(owners: str, body: str = "Hello, {{ name }}.") -> str:
    return (GOOD_PROMPT.replace('owners: ["@acme/team"]', f"owners: [{owners}]")
            .replace("Hello, {{ name }}{% if excited %}!{% else %}.{% endif %}",
                     body + "{% if excited %}!{% endif %}"))


FILES: dict[str, str | bytes] = {
    "prompts/eng/review.prompt.md": _prompt('"@acme/eng", "@ada"',
                                            'Hello, {{ name }}. {% include "_partials/tone.md" %}'),
    "prompts/ml/summary.prompt.md": _prompt('"@acme/ml"'),
    "prompts/_partials/tone.md": "Be kind.",
    "docs/guide.md": "# Guide\n",
}

CURRENT_BLOCK = "\n".join([
    BEGIN,
    "/prompts/_partials/tone.md @acme/eng @ada",
    "/prompts/eng/review.prompt.md @acme/eng @ada",
    "/prompts/ml/summary.prompt.md @acme/ml",
    END,
])


@pytest.fixture
def repo(make_repo: RepoFactory) -> Path:
    return make_repo({**FILES, "CODEOWNERS": HEADER + CURRENT_BLOCK + "\n# footer\n"})


def test_owners_text_names_owners_and_the_deciding_line(cli: CliRunner, repo: Path) -> None:
    result = cli("owners", "prompts/eng/review.prompt.md", "docs/guide.md", "README.md",
                 "prompts/ml/legacy/old.md", "--repo", str(repo))
    assert result.returncode == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines == [
        "prompts/eng/review.prompt.md @acme/eng @ada (CODEOWNERS:8: "
        "/prompts/eng/review.prompt.md)",
        "docs/guide.md @acme/writers (CODEOWNERS:3: /docs/)",
        "README.md @acme/maintainers (CODEOWNERS:2: *)",
        "prompts/ml/legacy/old.md unowned (CODEOWNERS:4: /prompts/ml/legacy/ has no owners)",
    ]
    assert result.stderr == ""


def test_owners_json_and_paths_relative_to_the_current_directory(cli: CliRunner,
                                                                 repo: Path) -> None:
    result = cli("owners", "review.prompt.md", "prompts/ml/summary.prompt.md",
                 str(repo / "docs" / "guide.md"), "--json", cwd=repo / "prompts" / "eng")
    assert result.returncode == 0, result.output
    assert result.json() == [
        {"path": "prompts/eng/review.prompt.md", "owners": ["@acme/eng", "@ada"], "line": 8,
         "pattern": "/prompts/eng/review.prompt.md"},
        {"path": "prompts/ml/summary.prompt.md", "owners": ["@acme/ml"], "line": 9,
         "pattern": "/prompts/ml/summary.prompt.md"},
        {"path": "docs/guide.md", "owners": ["@acme/writers"], "line": 3, "pattern": "/docs/"},
    ]


def test_owners_reads_paths_from_a_file_or_stdin(cli: CliRunner, repo: Path,
                                                 tmp_path: Path) -> None:
    listing = tmp_path / "paths.txt"
    listing.write_text("docs/guide.md\n\nprompts/_partials/tone.md\n")
    from_file = cli("owners", "--paths-from", str(listing), "--json", "--repo", str(repo))
    from_stdin = cli("owners", "--paths-from", "-", "--json", "--repo", str(repo),
                     stdin=listing.read_text())
    for result in (from_file, from_stdin):
        assert result.returncode == 0, result.output
        assert [(m["path"], m["owners"]) for m in result.json()] == [
            ("docs/guide.md", ["@acme/writers"]),
            ("prompts/_partials/tone.md", ["@acme/eng", "@ada"]),
        ]


def test_owners_warns_about_lines_github_skips(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({".github/CODEOWNERS": "* @all\n!*.md @none\n*.md nobody\n",
                      "CODEOWNERS": "* @shadowed\n"})
    result = cli("owners", "a.md", "--json", "--repo", str(repo))
    assert result.returncode == 0, result.output
    assert result.json() == [{"path": "a.md", "owners": ["@all"], "line": 1, "pattern": "*"}]
    assert ".github/CODEOWNERS:2:1: error[codeowners]: negation ('!') does not work" in (
        result.stderr)
    assert ".github/CODEOWNERS:3:6: error[codeowners]: owner 'nobody' is not" in result.stderr
    assert "CODEOWNERS:1:1: warning[codeowners]: GitHub ignores this file because " \
           ".github/CODEOWNERS comes first" in result.stderr


def test_owners_without_a_codeowners_file(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({"README.md": "hi\n"})
    result = cli("owners", "README.md", "--repo", str(repo))
    assert result.returncode == 0, result.output
    assert " ".join(result.stdout.split()) == "README.md unowned (no CODEOWNERS file)"
    assert "no CODEOWNERS file" in result.stderr
    assert "create one with `promptctl codeowners`" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give at least one PATH, or --paths-from FILE"),
        (["prompts/eng"], "prompts/eng is a folder; CODEOWNERS gives owners to files"),
        (["docs/"], "docs/ is a folder"),
        (["../elsewhere.txt"], "../elsewhere.txt is outside the repository"),
        (["."], ". is the repository itself"),
        (["--paths-from", "/no/such/file"], "--paths-from /no/such/file: cannot read it"),
    ],
    ids=["no-paths", "folder", "trailing-slash", "outside", "root", "missing-list"],
)
def test_owners_usage_errors(cli: CliRunner, repo: Path, args: list[str], message: str) -> None:
    result = cli("owners", *args, "--repo", str(repo))
    assert result.returncode == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_codeowners_check_passes_when_current_and_fails_with_a_diff(cli: CliRunner,
                                                                    repo: Path) -> None:
    current = cli("codeowners", "--check", "--repo", str(repo))
    assert current.returncode == 0, current.output
    assert "CODEOWNERS is up to date" in current.stdout

    review = repo / "prompts/eng/review.prompt.md"
    review.write_text(review.read_text().replace('"@acme/eng", "@ada"', '"@acme/eng", "@bob"'))
    before = (repo / "CODEOWNERS").read_bytes()
    stale = cli("codeowners", "--check", "--repo", str(repo))
    assert stale.returncode == 1, stale.output
    assert "--- a/CODEOWNERS\n+++ b/CODEOWNERS\n" in stale.stdout
    for line in ("-/prompts/_partials/tone.md @acme/eng @ada",
                 "+/prompts/_partials/tone.md @acme/eng @bob",
                 "-/prompts/eng/review.prompt.md @acme/eng @ada",
                 "+/prompts/eng/review.prompt.md @acme/eng @bob"):
        assert line in stale.stdout.splitlines()
    assert "CODEOWNERS is stale" in stale.stderr
    assert "run `promptctl codeowners` and commit the result" in stale.stderr
    assert (repo / "CODEOWNERS").read_bytes() == before  # --check writes nothing


def test_codeowners_regenerates_the_block_only(cli: CliRunner, repo: Path) -> None:
    (repo / "prompts/ml/summary.prompt.md").unlink()
    write = repo / "prompts/ml/new.prompt.md"
    write.write_text(_prompt('"@zoe", "@acme/ml"'))
    result = cli("codeowners", "--repo", str(repo))
    assert result.returncode == 0, result.output
    assert "Updated CODEOWNERS: 3 line(s) in the generated block" in result.stdout
    expected = HEADER + "\n".join([
        BEGIN,
        "/prompts/_partials/tone.md @acme/eng @ada",
        "/prompts/eng/review.prompt.md @acme/eng @ada",
        "/prompts/ml/new.prompt.md @zoe @acme/ml",
        END,
    ]) + "\n# footer\n"
    assert (repo / "CODEOWNERS").read_bytes() == expected.encode()
    assert git(repo, "status", "--porcelain", "--", "CODEOWNERS") == " M CODEOWNERS\n"
    again = cli("codeowners", "--repo", str(repo))
    assert "CODEOWNERS is already up to date" in again.stdout
    assert cli("codeowners", "--check", "--repo", str(repo)).returncode == 0
    owned = cli("owners", "prompts/ml/new.prompt.md", "--json", "--repo", str(repo)).json()
    assert owned[0]["owners"] == ["@zoe", "@acme/ml"]


def test_codeowners_creates_the_file_where_there_is_none(cli: CliRunner,
                                                         make_repo: RepoFactory) -> None:
    repo = make_repo({k: v for k, v in FILES.items() if k.startswith("prompts/")})
    missing = cli("codeowners", "--check", "--repo", str(repo))
    assert missing.returncode == 1
    assert "CODEOWNERS does not exist; run `promptctl codeowners`" in missing.stderr
    created = cli("codeowners", "--repo", str(repo))
    assert created.returncode == 0, created.output
    assert "Created CODEOWNERS" in created.stdout
    assert (repo / "CODEOWNERS").read_text() == CURRENT_BLOCK + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"* @a\n{BEGIN}\n/x @b\n", f"CODEOWNERS:2: '{BEGIN}' has no '{END}' after it"),
        (f"{BEGIN}\n{END}\n{BEGIN}\n{END}\n", f"CODEOWNERS:3: a second '{BEGIN}' / '{END}'"),
    ],
    ids=["begin-without-end", "two-blocks"],
)
def test_codeowners_refuses_broken_markers(cli: CliRunner, make_repo: RepoFactory, text: str,
                                           message: str) -> None:
    repo = make_repo({**FILES, "CODEOWNERS": text})
    for args in (["codeowners"], ["codeowners", "--check"]):
        result = cli(*args, "--repo", str(repo))
        assert result.returncode == 1, result.output
        assert message in result.stderr
    assert (repo / "CODEOWNERS").read_text() == text


def test_codeowners_refuses_when_a_prompt_does_not_load(cli: CliRunner,
                                                        make_repo: RepoFactory) -> None:
    repo = make_repo({**FILES, "CODEOWNERS": CURRENT_BLOCK + "\n",
                      "prompts/ml/broken.prompt.md": "---\ntitle: [oops\n---\nx\n"})
    result = cli("codeowners", "--repo", str(repo))
    assert result.returncode == 1, result.output
    assert "prompts/ml/broken.prompt.md did not load, so its owners are unknown" in result.stderr
    assert "`promptctl validate`" in result.stderr


def test_init_writes_a_current_codeowners(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    assert cli("init", str(target), "--owner", "@acme/prompts").returncode == 0
    result = cli("codeowners", "--check", "--repo", str(target))
    assert result.returncode == 0, result.output


def test_this_repositorys_codeowners_is_current(cli: CliRunner) -> None:
    result = cli("codeowners", "--check", "--repo", str(ROOT))
    assert result.returncode == 0, result.output
