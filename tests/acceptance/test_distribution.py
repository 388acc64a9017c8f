"""promptctl as others install it: a wheel and an sdist that work alone, the GitHub Action's lock,
and the workflows' supply chain.

The wheel is installed into a fresh virtual environment outside the checkout, with no access to
it: only its dependencies come from this test environment (a .pth file adds its site-packages,
not the editable install of this checkout), so nothing is downloaded, and a file the wheel lacks
(schemas, the skeleton) fails a command.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from packaging.requirements import Requirement

from promptctl import __version__
from tests.conftest import GIT_ENV, ROOT, add_test_dependencies, git


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                           str(ROOT)], capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dist(wheel, sdist)


@pytest.fixture(scope="module")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment, outside the checkout, with the wheel installed: its bin/."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    add_test_dependencies(venv)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index",
         "--no-deps", "--ignore-installed", "--disable-pip-version-check", str(dist.wheel)],
        capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return venv / "bin"


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200",
           "PATH": os.pathsep.join([str(bin_dir), os.environ["PATH"]])}
    for name in ("PYTHONPATH", "PROMPTCTL_DEBUG", "VIRTUAL_ENV"):
        env.pop(name, None)
    proc = subprocess.run([str(bin_dir / "promptctl"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_the_version_is_written_once_and_printed(installed: Path, tmp_path: Path) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "promptctl/__init__.py"
    assert run(installed, "--version", cwd=tmp_path).stdout == f"promptctl {__version__}\n"


def test_the_wheel_alone_scaffolds_validates_renders_and_serves(installed: Path,
                                                                tmp_path: Path) -> None:
    where = subprocess.run([str(installed / "python"), "-c",
                            "import promptctl, server; print(promptctl.__file__, server.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(ROOT) not in where
    assert str(installed.parent) in where
    library = tmp_path / "library"
    init = run(installed, "init", str(library), cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert (library / "schemas" / "prompt.schema.json").is_file()
    assert (library / ".github" / "workflows" / "prompts.yml").is_file()
    new = run(installed, "new", "demo/hello", "--owner", "@acme/team", cwd=library)
    assert new.returncode == 0, new.stderr
    validate = run(installed, "validate", cwd=library)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    rendered = run(installed, "render", "general/summarize", "-i", "text=The build broke.",
                   cwd=library)
    assert rendered.returncode == 0, rendered.stderr
    assert "The build broke." in rendered.stdout
    git(library, "add", "-A")
    git(library, "commit", "-q", "-m", "a new library")
    with serving(installed, library, tmp_path) as url:
        listed = httpx.get(f"{url}/api/v1/prompts", timeout=10)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["items"]] == []  # drafts: hidden from consumers
    assert "summarize" not in listed.text


def serving(bin_dir: Path, library: Path, tmp_path: Path) -> _Serving:
    return _Serving(bin_dir, library, tmp_path)


class _Serving:
    """`promptctl serve` from the fresh environment, until it is ready; stopped on exit."""

    def __init__(self, bin_dir: Path, library: Path, tmp_path: Path) -> None:
        self.bin_dir, self.library, self.tmp_path = bin_dir, library, tmp_path
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "PATH": os.pathsep.join([str(self.bin_dir), os.environ["PATH"]]),
               "XDG_STATE_HOME": str(self.tmp_path / "state"),
               "XDG_CACHE_HOME": str(self.tmp_path / "cache")}
        env.pop("PYTHONPATH", None)
        self.proc = subprocess.Popen(
            [str(self.bin_dir / "promptctl"), "serve", "--repo", str(self.library), "--ref",
             "main", "--port", str(port)], cwd=self.tmp_path, env=env, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                errors = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"serve exited: {errors}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("serve did not get ready in 60 s")

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if self.proc.stderr:
            self.proc.stderr.close()


def test_the_wheel_and_sdist_carry_every_file_they_need(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
    skeleton = {f"promptctl/skeleton/{p.relative_to(ROOT / 'promptctl' / 'skeleton').as_posix()}"
                for p in (ROOT / "promptctl" / "skeleton").rglob("*") if p.is_file()}
    schemas = {f"promptctl/schemas/{p.name}" for p in (ROOT / "schemas").glob("*.json")}
    assert skeleton | schemas <= names
    assert {"promptctl/cli/main.py", "server/app.py"} <= names
    with tarfile.open(dist.sdist) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    assert {"pyproject.toml", "action.yml", "action/install.sh", "action/requirements.txt",
            "schemas/prompt.schema.json", "promptctl/skeleton/CODEOWNERS"} <= members


def test_the_action_lock_holds_every_dependency_with_hashes() -> None:
    """action/requirements.txt pins a version within each [project.dependencies] range, and
    hatchling (the action builds promptctl without isolation), each with its hashes."""
    lock = (ROOT / "action" / "requirements.txt").read_text(encoding="utf-8")
    # A pin may carry an environment marker: "uvloop==0.23.0 ; sys_platform != ... \"
    pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)(?: ;[^\n]*)? \\$", lock,
                           flags=re.MULTILINE))
    assert pins
    blocks = re.split(r"^(?=[A-Za-z0-9._-]+==)", lock, flags=re.MULTILINE)[1:]
    assert all("--hash=sha256:" in block for block in blocks)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    build = pyproject["build-system"]["requires"]
    for line in [*pyproject["project"]["dependencies"], *build]:
        wanted = Requirement(line)
        name = next((n for n in pins if _norm(n) == _norm(wanted.name)), None)
        assert name is not None, f"{wanted.name} is not in action/requirements.txt"
        assert wanted.specifier.contains(pins[name]), f"{name}=={pins[name]} is not {wanted}"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture
def zizmor() -> str:
    found = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    if not Path(found).exists():
        pytest.skip("zizmor is not installed (the test extra installs it: pip install -e .[test])")
    return found


def test_zizmor_finds_nothing_of_medium_or_high_severity(zizmor: str, tmp_path: Path) -> None:
    from promptctl.scaffold import init

    library = tmp_path / "library"
    init(library, action="acme/prompt-engine")
    proc = subprocess.run(
        [zizmor, "--offline", "--min-severity", "medium", "--no-progress",
         str(ROOT / ".github"), str(ROOT / "action.yml"), str(library / ".github")],
        capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout, proc.stdout


# --- action.yml's own steps ---------------------------------------------------------------------

ACTION_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def action_steps(context: dict[str, str]) -> list[tuple[str, dict[str, str], str]]:
    """action.yml's `run:` steps whose `if:` holds, as (script, env, working directory)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = []
    for step in action["runs"]["steps"]:
        if "run" not in step:
            assert re.fullmatch(r"actions/[\w-]+@[0-9a-f]{40}", step["uses"])  # GitHub's own
            continue
        if step.get("if") == "inputs.command != ''" and not context["inputs.command"]:
            continue
        assert "${{" not in step["run"]  # values reach the script through env only

        def value(text: str) -> str:
            return ACTION_EXPRESSION.sub(lambda m: context[m.group(1)], text)

        env = {k: value(str(v)) for k, v in step.get("env", {}).items()}
        steps.append((step["run"], env, value(step.get("working-directory", "."))))
    return steps


@pytest.mark.parametrize(("command", "code", "output"), [
    ("list --json", 0, "general/summarize"),
    ("render general/summarize -i 'text=two words; $(touch pwned)' --json", 0,
     "two words; $(touch pwned)"),
    ("show general/nope", 2, "no prompt"),
    ("", None, ""),
], ids=["list", "quoted-arguments-never-expanded", "usage-error", "install-only"])
def test_the_action_installs_and_runs_one_command(tmp_path: Path, command: str, code: int | None,
                                                  output: str) -> None:
    from promptctl.scaffold import init

    library = tmp_path / "library"
    init(library)
    temp = tmp_path / "runner-temp"
    venv = temp / "promptctl-venv"  # as the cache restores it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    add_test_dependencies(venv)
    context = {"github.action_path": str(ROOT), "runner.temp": str(temp),
               "inputs.command": command, "inputs.working-directory": str(library),
               "steps.python.outputs.python-path": sys.executable}
    files = {name: tmp_path / name for name in ("GITHUB_PATH", "GITHUB_OUTPUT")}
    for path in files.values():
        path.write_text("")
    ran = []
    for script, env, cwd in action_steps(context):
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
            cwd=cwd, capture_output=True, text=True, check=False, timeout=300,
            env={**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200",
                 **{k: str(v) for k, v in files.items()}, **env})
        assert "Traceback" not in proc.stderr, proc.stderr
        ran.append(proc)
    assert [p.returncode for p in ran[:2]] == [0, 0], [p.stdout + p.stderr for p in ran]
    assert files["GITHUB_PATH"].read_text() == f"{venv}/bin\n"
    assert files["GITHUB_OUTPUT"].read_text().endswith(f"version={__version__}\n")
    if code is None:
        assert len(ran) == 2
        return
    assert len(ran) == 3
    assert ran[2].returncode == code, ran[2].stdout + ran[2].stderr
    assert output in ran[2].stdout + ran[2].stderr
    assert not (library / "pwned").exists()
