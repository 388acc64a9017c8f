"""CODEOWNERS parsing and matching (GitHub's documented cases) and the generated block."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from promptctl import codeowners
from promptctl.codeowners import BEGIN, END, MAX_BYTES
from promptctl.errors import PromptctlError
from promptctl.library import Library
from tests.conftest import write_files

# GitHub's example file from "About code owners", line for line (comments shortened).
GITHUB_EXAMPLE = textwrap.dedent(
    """\
    # This is a comment.
    # Each line is a file pattern followed by one or more owners.
    *       @global-owner1 @global-owner2
    *.js    @js-owner #This is an inline comment.
    *.go docs@example.com
    *.txt @octo-org/octocats
    /build/logs/ @doctocat
    docs/*  docs@example.com
    apps/ @octocat
    /docs/ @doctocat
    /scripts/ @doctocat @octocat
    **/logs @octocat
    """
)


@pytest.mark.parametrize(
    ("path", "owners", "line"),
    [
        ("README.md", "@global-owner1 @global-owner2", 3),
        ("src/deep/er/main.c", "@global-owner1 @global-owner2", 3),
        ("app.js", "@js-owner", 4),
        ("src/components/app.js", "@js-owner", 4),
        ("src/app.jsx", "@global-owner1 @global-owner2", 3),
        ("cmd/tool/main.go", "docs@example.com", 5),
        ("notes/todo.txt", "@octo-org/octocats", 6),
        ("build/logs/today.log", "@octocat", 12),  # /build/logs/ (7), then **/logs (12) wins
        ("build/output/app.bin", "@global-owner1 @global-owner2", 3),
        ("build/logs", "@octocat", 12),  # a file named logs: not /build/logs/, but **/logs
        ("docs/getting-started.md", "@doctocat", 10),  # docs/* (8), then /docs/ (10) wins
        ("apps/web/index.html", "@octocat", 9),
        ("services/apps/api/main.py", "@octocat", 9),  # apps/ at any depth
        ("myapps/x.py", "@global-owner1 @global-owner2", 3),
        ("scripts/deploy.sh", "@doctocat @octocat", 11),
        ("scripts/logs/run.log", "@octocat", 12),
        ("deeply/nested/logs/a.txt", "@octocat", 12),
        ("logs/root.log", "@octocat", 12),
        ("catalogs/x.txt", "@octo-org/octocats", 6),
    ],
)
def test_githubs_example_file(path: str, owners: str, line: int) -> None:
    rules, problems = codeowners.parse(GITHUB_EXAMPLE)
    assert problems == []
    match = rules.match(path)
    assert " ".join(match.owners) == owners
    assert match.rule is not None
    assert match.rule.line == line


# (CODEOWNERS lines, path, expected owners: "" = unowned, expected deciding line: None = none)
CASES = [
    # GitHub's /build/logs/ example on its own: that folder at the root, at any depth below it.
    ("/build/logs/ @doctocat", "build/logs/today.log", "@doctocat", 1),
    ("/build/logs/ @doctocat", "build/logs/2024/jan.log", "@doctocat", 1),
    ("/build/logs/ @doctocat", "src/build/logs/a.log", "", None),
    # docs/* owns direct children only; it is anchored because of the slash in the middle.
    ("docs/* @d", "docs/getting-started.md", "@d", 1),
    ("docs/* @d", "docs/build-app/troubleshooting.md", "", None),
    ("docs/* @d", "src/docs/a.md", "", None),
    ("/docs/*.md @d", "docs/a.md", "@d", 1),
    ("/docs/*.md @d", "docs/sub/a.md", "", None),
    # A trailing slash: the folder and everything under it, never a file of that name.
    ("/docs/ @d", "docs/a/b/c.md", "@d", 1),
    ("/docs/ @d", "src/docs/a.md", "", None),
    ("apps/ @o", "apps", "", None),
    ("apps/ @o", "x/y/apps/z/a.py", "@o", 1),
    # Without a trailing slash: a file of that name, or a folder of that name and all below.
    ("/apps/github @o", "apps/github", "@o", 1),
    ("/apps/github @o", "apps/github/x/y.rb", "@o", 1),
    ("/apps/github @o", "apps/githubber", "", None),
    # A pattern without a slash matches at any depth; a leading slash anchors it.
    ("README.md @r", "a/b/README.md", "@r", 1),
    ("/README.md @r", "a/README.md", "", None),
    ("/README.md @r", "README.md", "@r", 1),
    ("foo/bar @f", "x/foo/bar", "", None),
    # A line without owners leaves what it matches unowned (GitHub's /apps/github example).
    ("/apps/ @octocat\n/apps/github", "apps/github/readme.md", "", 2),
    ("/apps/ @octocat\n/apps/github", "apps/gitlab/readme.md", "@octocat", 1),
    ("/apps/ @octocat\n/apps/github @doctocat", "apps/github/a.rb", "@doctocat", 2),
    ("/apps/ @octocat\n/apps/github @doctocat", "apps/a.rb", "@octocat", 1),
    # The last matching line wins, whatever is more specific.
    ("*.js @a\n/src/ @b", "src/x.js", "@b", 2),
    ("/src/ @b\n*.js @a", "src/x.js", "@a", 2),
    ("/src/ @b\n*.js @a\n/lib/ @c", "src/x.js", "@a", 2),
    ("/src/ @a", "lib/x.js", "", None),
    # Paths are case-sensitive.
    ("/Docs/ @d", "docs/a.md", "", None),
    ("/Docs/ @d", "Docs/a.md", "@d", 1),
    ("*.MD @m", "a/readme.md", "", None),
    # ** forms.
    ("** @all", "a/b/c", "@all", 1),
    ("/** @all", "x", "@all", 1),
    ("docs/** @d", "docs/a/b.md", "@d", 1),
    ("docs/** @d", "docs", "", None),
    ("docs/**/x.md @d", "docs/x.md", "@d", 1),
    ("docs/**/x.md @d", "docs/a/b/x.md", "@d", 1),
    ("docs/**/x.md @d", "docs/a/b/y.md", "", None),
    ("/**/build/ @b", "build/a.o", "@b", 1),
    ("/**/build/ @b", "x/y/build/a.o", "@b", 1),
    ("**/logs @l", "logs", "@l", 1),
    ("a/**/b/** @ab", "a/b/c", "@ab", 1),
    ("a/**/b/** @ab", "a/x/y/b/c", "@ab", 1),
    ("a/**/b/** @ab", "a/x/y/b", "", None),
    # * and ? stay within one path segment.
    ("/src/*.py @p", "src/a/b.py", "", None),
    ("/file?.txt @q", "file1.txt", "@q", 1),
    ("/file?.txt @q", "file10.txt", "", None),
    ("*.js @j", ".js", "@j", 1),
    # Owners: users, teams, e-mail addresses, several on one line; comments and escapes.
    ("*.go docs@example.com", "main.go", "docs@example.com", 1),
    ("* first.last+tag@mail.example.co.uk @Org-1/team_name.x", "a", (
        "first.last+tag@mail.example.co.uk @Org-1/team_name.x"), 1),
    ("*.js\t@a\t\t@b   # inline comment @c", "x.js", "@a @b", 1),
    ("# only a comment\n\n   \n*.js @a", "x.js", "@a", 4),
    ("/My\\ Docs/ @a", "My Docs/x.md", "@a", 1),
    ("/a#b @h", "a#b", "@h", 1),  # '#' inside a pattern is not a comment
    ("* @a\r\n/src/ @b\r\n", "src/x", "@b", 2),  # CRLF line ends
]


@pytest.mark.parametrize(("text", "path", "owners", "line"), CASES,
                         ids=[f"{c[0].splitlines()[-1]}|{c[1]}" for c in CASES])
def test_matching(text: str, path: str, owners: str, line: int | None) -> None:
    rules, problems = codeowners.parse(text)
    assert problems == []
    match = rules.match(path)
    assert " ".join(match.owners) == owners
    assert (match.rule.line if match.rule else None) == line


UNSUPPORTED = [
    ("!*.js @a", 1, "negation ('!') does not work"),
    ("/src/[ab].js @a", 1, "character ranges ('[ ]') do not work"),
    ("*.[jt]s @a", 1, "character ranges ('[ ]') do not work"),
    ("\\#notes.md @a", 1, "escaping a leading '#' with '\\' does not work"),
    ("/a/***/b @a", 1, "'***' is not a valid pattern"),
    ("*.js nobody", 6, "owner 'nobody' is not @user, @org/team or an e-mail address"),
    ("*.js @", 6, "owner '@' is not"),
    ("*.js @ok @-bad", 10, "owner '@-bad' is not"),
    ("*.js @org/team/sub", 6, "owner '@org/team/sub' is not"),
    ("*.js @@twice", 6, "owner '@@twice' is not"),
    ("*.js @a, @b", 6, "owner '@a,' is not"),
]


@pytest.mark.parametrize(("line", "col", "message"), UNSUPPORTED,
                         ids=[u[0] for u in UNSUPPORTED])
def test_unsupported_syntax_is_reported_and_the_line_skipped(line: str, col: int,
                                                             message: str) -> None:
    rules, problems = codeowners.parse(f"* @default\n{line}\n/other/ @x\n", ".github/CODEOWNERS")
    assert [(p.path, p.line, p.col, p.severity, p.code) for p in problems] == [
        (".github/CODEOWNERS", 2, col, "error", "codeowners")]
    assert message in problems[0].message
    assert "GitHub skips this line" in problems[0].message
    assert [r.line for r in rules.rules] == [1, 3]  # the lines around it still apply
    assert rules.match("src/a.js").owners == ("@default",)


def test_escaped_bracket_is_a_literal_not_a_range() -> None:
    rules, problems = codeowners.parse("/notes\\[1\\].md @n")
    assert problems == []
    assert rules.match("notes[1].md").owners == ("@n",)
    assert rules.match("notes1.md").owners == ()


# --- finding the file ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        ([".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"], ".github/CODEOWNERS"),
        (["CODEOWNERS", "docs/CODEOWNERS"], "CODEOWNERS"),
        (["docs/CODEOWNERS", ".github/CODEOWNERS"], ".github/CODEOWNERS"),
        (["docs/CODEOWNERS"], "docs/CODEOWNERS"),
        ([], None),
    ],
)
def test_lookup_order(tmp_path: Path, present: list[str], chosen: str | None) -> None:
    owner = {rel: f"@owner-{index}" for index, rel in enumerate(sorted(present))}
    write_files(tmp_path, {rel: f"* {owner[rel]}\n" for rel in present})
    rules, problems = codeowners.load(tmp_path)
    assert rules.path == chosen
    expected = () if chosen is None else (owner[chosen],)
    assert rules.match("any/file.txt").owners == expected
    shadowed = sorted(p.path for p in problems)
    assert shadowed == sorted(set(present) - {chosen} if chosen else [])
    assert all("GitHub ignores this file because" in p.message for p in problems)


@pytest.mark.parametrize(("size", "loaded"), [(MAX_BYTES - 1, True), (MAX_BYTES, False),
                                              (MAX_BYTES + 10, False)])
def test_a_file_of_3_mb_or_more_is_ignored(tmp_path: Path, size: int, loaded: bool) -> None:
    head = b"* @big\n"
    (tmp_path / "CODEOWNERS").write_bytes(head + b"#" * (size - len(head) - 1) + b"\n")
    assert (tmp_path / "CODEOWNERS").stat().st_size == size
    rules, problems = codeowners.load(tmp_path)
    assert rules.match("a.txt").owners == (("@big",) if loaded else ())
    if loaded:
        assert problems == []
    else:
        assert [(p.path, p.severity) for p in problems] == [("CODEOWNERS", "error")]
        assert "GitHub does not load a CODEOWNERS file of 3 MB or more" in problems[0].message


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "CODEOWNERS").write_bytes(b"* @a\n\xff\xfe\n")
    rules, problems = codeowners.load(tmp_path)
    assert rules.rules == ()
    assert "not UTF-8 text" in problems[0].message


# --- the generated block ---------------------------------------------------------------------


def _prompt(owners: str, body: str = "Hello.") -> str:
    return textwrap.dedent(
        f"""\
        ---
        title: T
        description: D.
        version: 1.0.0
        status: active
        owners: [{owners}]
        ---
        """
    ) + body + "\n"


LIBRARY_FILES: dict[str, str | bytes] = {
    "prompts/eng/review.prompt.md": _prompt('"@zed", "@acme/eng"',
                                            '{% include "_partials/outer.md" %}'),
    "prompts/docs/notes.prompt.md": _prompt('"@acme/docs", "@zed"',
                                            '{% include "_partials/style.md" %}'),
    "prompts/docs/plain.prompt.md": _prompt('"@solo"'),
    "prompts/_partials/outer.md": 'Outer {% include "_partials/style.md" %}',
    "prompts/_partials/style.md": "Be brief.",
    "prompts/_partials/unused.md": "Nobody includes me.",
}

EXPECTED_BLOCK = [
    BEGIN,
    "/prompts/_partials/outer.md @acme/eng @zed",
    "/prompts/_partials/style.md @acme/docs @acme/eng @zed",
    "/prompts/docs/notes.prompt.md @acme/docs @zed",
    "/prompts/docs/plain.prompt.md @solo",
    "/prompts/eng/review.prompt.md @zed @acme/eng",
    END,
]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    write_files(tmp_path, LIBRARY_FILES)
    library = Library.from_work_tree(tmp_path)
    assert library.ok, library.problems
    return library


def test_generate_one_line_per_prompt_and_partials_owned_by_their_users(
        library: Library) -> None:
    # Prompts keep their owners' order; a partial gets the sorted union of its users' owners,
    # through nested includes too (style.md is reached from review via outer.md); a partial
    # nobody includes gets no line.
    assert codeowners.generate(library) == EXPECTED_BLOCK


def test_generated_lines_mean_what_they_say(library: Library) -> None:
    rules, problems = codeowners.parse("\n".join(EXPECTED_BLOCK))
    assert problems == []
    assert rules.match("prompts/_partials/style.md").owners == ("@acme/docs", "@acme/eng", "@zed")
    assert rules.match("prompts/_partials/unused.md").owners == ()
    assert rules.match("prompts/eng/review.prompt.md").owners == ("@zed", "@acme/eng")


def test_unsafe_partial_names_are_escaped(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "prompts/eng/a.prompt.md": _prompt('"@a"', '{% include "_partials/my notes [v2].md" %}'),
        "prompts/_partials/my notes [v2].md": "x",
    })
    block = codeowners.generate(Library.from_work_tree(tmp_path))
    assert block[1] == "/prompts/_partials/my\\ notes\\ \\[v2\\].md @a"
    rules, problems = codeowners.parse(block[1])
    assert problems == []
    assert rules.match("prompts/_partials/my notes [v2].md").owners == ("@a",)


def test_a_prompt_that_does_not_load_stops_generation(tmp_path: Path) -> None:
    write_files(tmp_path, {"prompts/eng/ok.prompt.md": _prompt('"@a"'),
                           "prompts/eng/broken.prompt.md": "---\ntitle: [unclosed\n---\nx\n"})
    with pytest.raises(PromptctlError, match=r"prompts/eng/broken.prompt.md did not load, so its "
                                             r"owners are unknown"):
        codeowners.generate(Library.from_work_tree(tmp_path))


BLOCK = "\n".join(EXPECTED_BLOCK)

OUTSIDE = [
    ("lf", "# header\n* @default\n\n", "\n/after/ @x\n"),
    ("crlf", "# header\r\n*  \t @default   \r\n\r\n", "\r\n/after/ @x\r\n"),
    ("odd-spacing", "   # indented header   \n\n\n*\t\t@default\t\n", "\n\n   trailing   \n"),
    ("no-final-newline", "* @default\n", ""),
    ("block-first", "", "\n* @default\n"),
    ("bom-and-unicode", "\ufeff# Ünïcode héader\n", "\n# ☃ after\n"),
]


@pytest.mark.parametrize(("before", "after"), [(b, a) for _n, b, a in OUTSIDE],
                         ids=[n for n, _b, _a in OUTSIDE])
def test_replacing_the_block_keeps_every_byte_outside_it(library: Library, before: str,
                                                         after: str) -> None:
    # `after` starts with the END line's own line end; the block's lines end as BEGIN's does.
    newline = "\r\n" if before.endswith("\r\n") else "\n"
    stale = newline.join([BEGIN, "/prompts/old.prompt.md @gone", f"  {END}  "])
    updated = codeowners.regenerate(before + stale + after, library)
    new_block = newline.join(EXPECTED_BLOCK)
    assert updated == before + new_block + after
    assert updated.encode("utf-8").startswith(before.encode("utf-8"))
    assert updated.encode("utf-8").endswith(after.encode("utf-8"))
    assert codeowners.regenerate(updated, library) == updated  # idempotent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", BLOCK + "\n"),
        ("* @default\n", "* @default\n\n" + BLOCK + "\n"),
        ("* @default", "* @default\n\n" + BLOCK + "\n"),
        ("* @default\n\n", "* @default\n\n" + BLOCK + "\n"),
        ("* @default\r\n", "* @default\r\n\r\n" + BLOCK.replace("\n", "\r\n") + "\r\n"),
    ],
    ids=["empty", "newline", "no-newline", "blank-line", "crlf"],
)
def test_a_file_without_markers_gets_the_block_appended(library: Library, text: str,
                                                        expected: str) -> None:
    assert codeowners.regenerate(text, library) == expected


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (f"* @a\n{BEGIN}\n/x @b\n", 2, f"'{BEGIN}' has no '{END}' after it"),
        (f"{BEGIN}\n{END}\n\n{BEGIN}\n{END}\n", 4, "a second"),
        (f"{BEGIN}\n{END}\n{END}\n", 3, "a second"),
        (f"* @a\n{END}\n", 2, f"'{END}' without a '{BEGIN}' before it"),
        (f"{END}\n{BEGIN}\n", 1, f"'{END}' without a '{BEGIN}' before it"),
    ],
    ids=["begin-without-end", "two-blocks", "two-ends", "end-alone", "end-before-begin"],
)
def test_broken_markers_are_errors_naming_the_line(library: Library, text: str, line: int,
                                                   message: str) -> None:
    with pytest.raises(PromptctlError) as caught:
        codeowners.regenerate(text, library, ".github/CODEOWNERS")
    assert caught.value.line == line
    assert str(caught.value).startswith(f".github/CODEOWNERS:{line}: ")
    assert message in caught.value.message


def test_check_returns_the_diff_when_stale(library: Library) -> None:
    current = "* @default\n\n" + BLOCK + "\n"
    assert codeowners.check(current, library) is None
    stale = current.replace("plain.prompt.md @solo", "plain.prompt.md @old")
    diff = codeowners.check(stale, library)
    assert diff is not None
    assert diff.startswith("--- a/CODEOWNERS\n+++ b/CODEOWNERS\n")
    assert "\n-/prompts/docs/plain.prompt.md @old\n+/prompts/docs/plain.prompt.md @solo\n" in diff


def test_plan_update_writes_atomically_keeping_the_mode(tmp_path: Path, library: Library) -> None:
    root = tmp_path  # the library fixture lives here too
    target = root / ".github" / "CODEOWNERS"
    target.parent.mkdir()
    target.write_text("* @default\n")
    os.chmod(target, 0o640)
    update = codeowners.plan_update(root, library)
    assert (update.path, update.stale, update.current) == (".github/CODEOWNERS", True,
                                                           "* @default\n")
    update.write()
    assert target.read_text() == "* @default\n\n" + BLOCK + "\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["CODEOWNERS"]  # no temp left
    assert not codeowners.plan_update(root, library).stale


def test_plan_update_creates_codeowners_at_the_root(tmp_path: Path, library: Library) -> None:
    update = codeowners.plan_update(tmp_path, library)
    assert (update.path, update.current) == ("CODEOWNERS", None)
    update.write()
    assert (tmp_path / "CODEOWNERS").read_text() == BLOCK + "\n"
