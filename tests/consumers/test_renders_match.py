"""One prompt, three renderers, the same bytes: the client SDK, ``promptctl render`` and the
server's ``:render``, for every prompt of this repository and of the corpora imported as
prompts (``promptctl.formats``), with the inputs of the prompts' own tests and with generated
ones. Bad inputs must fail alike too: the same fields named by all three."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from promptengine import InvalidInputs, PromptClient
from typer.testing import CliRunner

from promptctl.library import Library
from server.auth import add_key
from tests.conftest import CORPORA, GIT_ENV, ROOT, git
from tests.consumers.conftest import promptctl_serve, render_on_server

SAMPLES: dict[str, Any] = {"string": "a value with {{ braces }} and {% tags %}", "integer": 3,
                           "number": 1.5, "boolean": True, "array": ["one", "two"],
                           "object": {"key": "value"}}


def generated_inputs(spec: dict[str, dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, schema in spec.items():
        if schema.get("enum"):
            values[name] = schema["enum"][-1]
        elif "default" not in schema:
            kind = schema.get("type", "string")
            values[name] = SAMPLES.get(kind if isinstance(kind, str) else kind[0], "text")
    return values


def cases(library: Library) -> Iterator[tuple[str, dict[str, Any]]]:
    for prompt_id, prompt in sorted(library.prompts.items()):
        for test in prompt.tests:
            yield prompt_id, dict(test.get("inputs") or {})
        yield prompt_id, generated_inputs(prompt.inputs)
        yield prompt_id, {"no-such-input": 1}


def cli_render(runner: CliRunner, repo: Path, prompt_id: str, inputs: dict[str, Any]
               ) -> dict[str, Any]:
    """``promptctl render ID --inputs - --json`` (the real command, in this process): its JSON,
    or ``{"error": fields}`` for inputs it refuses."""
    from promptctl.cli.main import app
    from promptctl.errors import InputError

    result = runner.invoke(app, ["render", prompt_id, "--inputs", "-", "--json", "--repo",
                                 str(repo)], input=json.dumps(inputs))
    if isinstance(result.exception, InputError):
        return {"error": result.exception.fields}
    assert result.exit_code == 0, (prompt_id, result.output, result.exception)
    data: dict[str, Any] = json.loads(result.stdout)
    return {"messages": data["messages"], "text": data["text"]}


def sdk_render(sdk: PromptClient, prompt_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    try:
        return sdk.get(prompt_id).render(inputs).as_dict()
    except InvalidInputs as exc:
        return {"error": exc.fields}


def server_render(url: str, prompt_id: str, inputs: dict[str, Any],
                  headers: dict[str, str]) -> dict[str, Any]:
    answer = render_on_server(url, prompt_id, inputs, headers=headers)
    body: dict[str, Any] = answer.json()
    if answer.status_code == 422 and body["error"]["code"] == "invalid_inputs":
        return {"error": body["error"]["fields"]}
    assert answer.status_code == 200, (prompt_id, answer.text)
    return body


def work_trees(repo: Path, library: Library, base: Path, size: int) -> dict[str, Path]:
    """Prompt id -> a copy of the work tree holding ``size`` prompts, that one among them, with
    every partial and promptctl.yaml: ``promptctl render`` reads the whole work tree, so over a
    library of hundreds it costs a quarter of a second a call; the bytes it renders depend
    only on the prompt file, its partials and promptctl.yaml."""
    shared = [p for p in (repo / "prompts").rglob("*") if p.is_file() and "/_" in str(
        p.relative_to(repo))]
    shared += [repo / "promptctl.yaml"] if (repo / "promptctl.yaml").is_file() else []
    trees: dict[str, Path] = {}
    ids = sorted(library.prompts)
    for start in range(0, len(ids), size):
        tree = base / f"tree{start // size}"
        for prompt_id in ids[start:start + size]:
            for file in (repo / library.prompts[prompt_id].path, *shared):
                target = tree / file.relative_to(repo)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(file.read_bytes())
            trees[prompt_id] = tree
    return trees


def compare_all(repo: Path, tmp_path: Path, *, tree_size: int | None = None) -> int:
    """Every case of every prompt of ``repo`` (drafts too: a contributor key) three ways; the
    number of successful renders compared. ``tree_size``: run ``promptctl render`` in work
    trees of that many prompts (``work_trees``) instead of ``repo`` itself, and for one
    successful case of each prompt only (the SDK and the server still take every case)."""
    key = add_key(tmp_path / "keys.yaml", "reader", "contributor", "consumers")
    headers = {"Authorization": f"Bearer {key}"}
    library = Library.from_work_tree(repo)
    trees = (work_trees(repo, library, tmp_path / "trees", tree_size) if tree_size
             else dict.fromkeys(library.prompts, repo))
    runner = CliRunner()
    compared = 0
    cli_done: set[str] = set()
    with (promptctl_serve(repo, tmp_path / "xdg", "--keys", str(tmp_path / "keys.yaml"),
                          "--rate-limit", "0") as url,
          PromptClient(url, api_key=key, cache_dir=tmp_path / "sdk", report_usage=False,
                       timeout=60) as sdk):
        for prompt_id, inputs in cases(library):
            server = server_render(url, prompt_id, inputs, headers)
            assert sdk_render(sdk, prompt_id, inputs) == server, prompt_id
            if tree_size and ("error" in server or prompt_id in cli_done):
                continue
            local = cli_render(runner, trees[prompt_id], prompt_id, inputs)
            if "error" in server:
                assert local == server, prompt_id
            else:
                assert local == {"messages": server["messages"], "text": server["text"]}, \
                    prompt_id
                cli_done.add(prompt_id)
                compared += 1
    return compared


def test_every_prompt_of_this_repository_renders_the_same_three_ways(tmp_path: Path) -> None:
    clone = tmp_path / "clone"  # the committed prompts: the work tree may hold edits
    subprocess.run(["git", "clone", "--quiet", "--branch", "main", str(ROOT), str(clone)],
                   check=True, env={**GIT_ENV}, capture_output=True)
    compared = compare_all(clone, tmp_path)
    assert compared >= len(Library.from_work_tree(clone).prompts)


@pytest.mark.corpora
def test_every_corpus_prompt_imported_renders_the_same_three_ways(tmp_path: Path) -> None:
    if not CORPORA.is_dir():
        pytest.skip(f"{CORPORA} is absent: the corpora are not part of this repository")
    from promptctl.formats import ImportProblem, import_file

    repo = tmp_path / "corpora"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    imported = 0
    sources = [("copilot", "copilot", sorted((CORPORA / "awesome-copilot" / "prompts")
                                             .glob("*.prompt.md"))),
               ("fabric", "fabric", sorted((CORPORA / "fabric" / "patterns").glob("*/system.md")))]
    for fmt, collection, files in sources:
        for path in files:
            try:
                result = import_file(str(path), path.read_bytes(), fmt, collection=collection,
                                     owners=["@corpus/owners"])
            except ImportProblem:
                continue
            target = repo / result.path
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result.text, encoding="utf-8")
            imported += 1
    assert imported > 300
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "imported corpora")
    # Drafts, seen by a contributor key.
    assert compare_all(repo, tmp_path, tree_size=20) == imported
