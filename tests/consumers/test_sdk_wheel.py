"""The client distribution as a consumer installs it: the wheel built from sdk/, in a fresh
environment that holds only its declared dependencies (no pygit2, FastAPI, uvicorn, typer or
promptctl), renders exactly as the server's ``:render`` and ``promptctl render``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT, CliRunner
from tests.consumers.conftest import render_on_server
from tests.server.conftest import ServerFactory

ABSENT = ("pygit2", "fastapi", "starlette", "uvicorn", "typer", "rich", "mcp", "promptctl",
          "server")


def requirements_closure(names: list[str]) -> set[str]:
    """The installed distributions ``names`` need, transitively (markers evaluated, no extras)."""
    found: set[str] = set()
    pending = list(names)
    while pending:
        name = metadata.distribution(pending.pop()).metadata["Name"]
        if name.lower() in found:
            continue
        found.add(name.lower())
        for text in metadata.distribution(name).requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


def only_these(distributions: set[str], folder: Path) -> None:
    """``folder`` gets links to the files of ``distributions`` in this environment, nothing
    else: what a fresh environment that installed them would import."""
    site = Path(sysconfig.get_path("purelib"))
    folder.mkdir()
    for name in distributions:
        for file in metadata.distribution(name).files or []:
            top = file.parts[0]
            if top == ".." or top.endswith(".pth") or (folder / top).exists():
                continue
            (folder / top).symlink_to(site / top)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdk-dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                           "--outdir", str(out), str(ROOT / "sdk")], capture_output=True,
                          text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the client wheel and its dependencies only: its python."""
    base = tmp_path_factory.mktemp("fresh-client")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        declared = [Requirement(line.split(":", 1)[1].strip()).name
                    for line in archive.read(meta).decode().splitlines()
                    if line.startswith("Requires-Dist:")]
    only_these(requirements_closure([*declared, "pip"]), base / "deps")
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "_deps.pth").write_text(f"{base / 'deps'}\n")
    # Without --no-deps: pip checks that the declared dependencies are all there.
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--no-index", "--disable-pip-version-check", str(wheel)],
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return venv / "bin" / "python"


SCRIPT = """
import importlib.util, json, sys
absent = [m for m in sys.argv[4].split(",") if importlib.util.find_spec(m) is not None]
from promptengine import PromptClient
from promptengine import core
with PromptClient(sys.argv[1], cache_dir=sys.argv[2], report_usage=False) as client:
    rendered = client.get("demo/greet").render(json.loads(sys.argv[3]))
print(json.dumps({"absent": absent, "core": core.render.__name__,
                  "rendered": rendered.as_dict()}))
"""


def test_the_client_wheel_installs_alone_and_renders_as_the_server_and_the_cli(
        python: Path, start_server: ServerFactory, library_repo: Path, tmp_path: Path,
        cli: CliRunner) -> None:
    running = start_server(library_repo)
    inputs = {"name": "{{ Ada }}", "excited": True}
    proc = subprocess.run([str(python), "-c", SCRIPT, running.url, str(tmp_path / "cache"),
                           json.dumps(inputs), ",".join(ABSENT)], capture_output=True,
                          text=True, check=False, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["absent"] == []  # none of the heavy packages is importable there
    assert result["core"] == "promptengine._core.render"  # the copy in the wheel
    server = render_on_server(running.url, "demo/greet", inputs).json()
    assert result["rendered"] == server
    local = cli("render", "demo/greet", "--inputs", "-", "--json", "--repo", str(library_repo),
                stdin=json.dumps(inputs))
    assert local.returncode == 0, local.output
    assert local.json()["messages"] == server["messages"]
    assert local.json()["text"] == server["text"]


def test_the_wheel_carries_the_core_modules_with_their_imports_pointed_inside(
        wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        render = archive.read("promptengine/_core/render.py").decode()
    assert {"promptengine/_core/loader.py", "promptengine/_core/inputs.py",
            "promptengine/_core/sandbox.py", "promptengine/_core/schemas/prompt.schema.json",
            } <= names
    assert not any(n.startswith(("promptctl/", "server/")) for n in names)
    assert "from promptengine._core.sandbox import" in render
    assert "from promptctl" not in render
    # The same code as the repository's, but for the import lines.
    source = (ROOT / "promptctl" / "render.py").read_text()
    assert render.replace("promptengine._core", "promptctl") == source


@pytest.mark.parametrize(("files", "expected"), [
    ({"loader.py": "import pygit2\n", "inputs.py": "", "render.py": "", "__init__.py": ""},
     "promptctl/loader.py imports pygit2"),
    ({"loader.py": "from promptctl.web import app\n", "inputs.py": "", "render.py": "",
      "__init__.py": "", "web.py": "from fastapi import FastAPI\n"},
     "promptctl/web.py imports fastapi"),
    ({"loader.py": "import promptctl.model\n", "inputs.py": "", "render.py": "",
      "__init__.py": ""}, "write `from promptctl.X import Y`"),
    ({"loader.py": "from promptctl.gone import x\n", "inputs.py": "", "render.py": "",
      "__init__.py": ""}, "needs promptctl/gone.py"),
])
def test_the_build_refuses_core_modules_that_need_heavy_packages(
        tmp_path: Path, files: dict[str, str], expected: str) -> None:
    from hatch_build import core_modules

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(RuntimeError, match=re.escape(expected)):
        core_modules(tmp_path)


def test_imports_inside_functions_are_rewritten_but_not_followed(tmp_path: Path) -> None:
    from hatch_build import core_modules

    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "inputs.py").write_text("")
    (tmp_path / "render.py").write_text("")
    (tmp_path / "loader.py").write_text(
        "from promptctl import inputs\n\ndef read():\n    from promptctl.gitreader import G\n")
    found = core_modules(tmp_path)
    assert set(found) == {"__init__", "inputs", "render", "loader"}
    assert found["loader"] == ("from promptengine._core import inputs\n\ndef read():\n"
                               "    from promptengine._core.gitreader import G\n")
