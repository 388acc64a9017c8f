from __future__ import annotations

import pytest

from promptctl.errors import InvalidPrompt, PromptNotFound
from promptctl.library import Library
from promptctl.model import is_partial_path
from promptctl.search import SearchIndex, fts_query
from promptctl.sources import WorkTreeSource
from tests.conftest import GOOD_PROMPT, RepoFactory


def _prompt(title: str, *, status: str = "active", tags: str = "[demo]", owner: str = "@acme/team",
            channel: str = "stable", extra: str = "") -> str:
    return (GOOD_PROMPT.replace("title: Greeting", f"title: {title}")
            .replace("status: active", f"status: {status}\nchannel: {channel}{extra}")
            .replace("tags: [demo]", f"tags: {tags}")
            .replace('owners: ["@acme/team"]', f'owners: ["{owner}"]'))


@pytest.fixture
def library(make_repo: RepoFactory) -> Library:
    repo = make_repo({
        "prompts/eng/review.prompt.md": _prompt("Code review", tags="[code-review, python]",
                                                extra="\naliases: [eng/cr]"),
        "prompts/eng/old-review.prompt.md": _prompt(
            "Old review", status="deprecated", extra="\nreplaced_by: eng/cr"),
        "prompts/ml/summary.prompt.md": _prompt("Experiment summary", owner="@priya",
                                                tags="[ml, reporting]"),
        "prompts/ml/beta.prompt.md": _prompt("Beta thing", status="draft",
                                             channel="experimental"),
    })
    return Library.load(WorkTreeSource(repo))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["eng/old-review", "eng/review", "ml/beta", "ml/summary"]),
        ({"tags": ["python"]}, ["eng/review"]),
        ({"tags": ["demo"]}, ["eng/old-review", "ml/beta"]),
        ({"collection": "ml"}, ["ml/beta", "ml/summary"]),
        ({"collection": "m"}, []),
        ({"status": "deprecated"}, ["eng/old-review"]),
        ({"owner": "priya"}, ["ml/summary"]),
        ({"owner": "@ACME/team"}, ["eng/old-review", "eng/review", "ml/beta"]),
        ({"channel": "experimental"}, ["ml/beta"]),
    ],
    ids=["all", "tag", "tag-demo", "collection", "collection-is-a-segment", "status", "owner",
         "owner-case", "channel"],
)
def test_select_filters(library: Library, filters: dict[str, object], expected: list[str]) -> None:
    assert [p.id for p in library.select(**filters)] == expected  # type: ignore[arg-type]


def test_aliases_resolve_and_replaced_by_may_name_an_alias(library: Library) -> None:
    assert library.ok, library.problems
    assert library.get("eng/cr").id == "eng/review"


def test_unknown_id_suggests_close_ones(library: Library) -> None:
    with pytest.raises(PromptNotFound, match="did you mean eng/review"):
        library.get("eng/reveiw")


def test_an_invalid_prompt_is_listed_but_not_usable(make_repo: RepoFactory) -> None:
    bad = GOOD_PROMPT.replace("Hello, {{ name }}", "Hello, {{ nmae }}")
    library = Library.load(WorkTreeSource(make_repo({"prompts/x/bad.prompt.md": bad})))
    assert "x/bad" in library.prompts
    with pytest.raises(InvalidPrompt, match="undeclared-input"):
        library.usable("x/bad")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code review", '"code" AND "review"*'),
        ("code review ", '"code" AND "review"'),
        ('c++ "quoted', '"c" AND "quoted"*'),
        ("-not OR x", '"not" AND "OR" AND "x"*'),
        ("größe", '"größe"*'),
        ('"', None),
        ("", None),
    ],
    ids=["prefix-last", "trailing-space", "cpp-quote", "operators", "unicode", "quote", "empty"],
)
def test_fts_query_never_passes_syntax_through(text: str, expected: str | None) -> None:
    assert fts_query(text) == expected


def test_search_ranks_title_and_tags_and_respects_allowed(library: Library) -> None:
    index = SearchIndex()
    index.add(library.prompts.values())
    hits = index.search("review")
    assert [h.id for h in hits][:2] == ["eng/review", "eng/old-review"]
    assert "[review]" in hits[0].snippet.lower() or "[Review]" in hits[0].snippet
    assert index.search("revi")[0].id == "eng/review"  # prefix, search-as-you-type
    assert index.search("review", allowed={"eng/old-review"})[0].id == "eng/old-review"
    for hostile in ['"', "c++", "a AND (", "NEAR(", "*", "-x", "über"]:
        index.search(hostile)  # never a syntax error


def test_prompts_with_some_of_the_words_only_when_asked(library: Library) -> None:
    """The command line asks for the some-words tier; the read API (each keystroke) does not."""
    index = SearchIndex()
    index.add(library.prompts.values())
    assert index.search("experiment review") == []
    some = index.search("experiment review", some_words=True)
    assert {h.id for h in some} >= {"ml/summary", "eng/review"}
    assert {h.id: h.matched for h in some}["ml/summary"] == ("experiment",)
    every = index.search("code review", some_words=True)
    assert (every[0].id, every[0].matched) == ("eng/review", ("code", "review"))


@pytest.mark.parametrize(("path", "partial"), [
    ("prompts/_partials/sign.md", True),
    ("prompts/eng/_footer.md", True),
    ("prompts/eng/_shared/deep/part.md", True),
    ("prompts/eng/review.prompt.md", False),
    ("prompts/eng_team/review.prompt.md", False),
    ("prompts/eng/review_v2.prompt.md", False),
])
def test_a_path_part_starting_with_an_underscore_makes_a_partial(path: str,
                                                                 partial: bool) -> None:
    assert is_partial_path(path) is partial
