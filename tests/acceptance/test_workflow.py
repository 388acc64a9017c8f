"""The pull-request workflow runs as written: its own `run:` steps against fixture pull requests.

The steps are read from .github/workflows/prompts.yml (or the one `promptctl init` writes), their
`${{ ... }}` expressions replaced by the values GitHub would give (an expression the table does not
know fails the test), and run with bash as the runner would, in a clone whose `origin/main` is the
base, like actions/checkout with fetch-depth 0. `gh` is a stand-in that answers the two API calls
from fixture files (the reviews in two pages, back to back, as `gh api --paginate` prints them).
A job stops at its first failing step, as on GitHub. So the workflow cannot drift from the CLI,
nor from the properties it promises.

The step that uses the Prompt Engine action (`uses: ./` here, `OWNER/REPO@vX.Y.Z` in a scaffolded
library) runs the action's install script, action/install.sh, when a test gives the runner an
environment as the action's cache would restore it; otherwise promptctl comes from this test
environment. The third-party actions (checkout, setup-python, cache) are GitHub's and not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.acceptance.test_check_cli import apply, md
from tests.conftest import GIT_ENV, ROOT, CliRunner, RepoFactory, add_test_dependencies, git

WORKFLOW = ROOT / ".github" / "workflows" / "prompts.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
INSTALL = {"name": "Install promptctl", "uses": "./"}
ACTION = re.compile(r"^(\./|[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+)$")  # this repository's action

GREET = "prompts/demo/greet.prompt.md"
TESTS = 'tests:\n  - name: greets\n    inputs: {name: Ada}\n    expect: {contains: "Hello, Ada"}\n'
BASE = {
    GREET: md(owners='["@acme/writers"]', extra=TESTS),
    "prompts/demo/bye.prompt.md": md(owners='["@ada"]', title="Bye", body="Bye, {{ name }}."),
    "promptctl.yaml": "approvals:\n  team: 1\n  global: 2\n",
}
GOOD = {GREET: md("1.1.0", owners='["@acme/writers"]', extra=TESTS,
                  body="Hello, {{ name }}! Welcome.")}
BAD_VERSION = {GREET: md(owners='["@acme/writers"]', extra=TESTS, body="Hello, {{ name }}!")}
BAD_FILE = {GREET: "---\ntitle: Greet\n---\nHello\n"}

# What the expressions hold, by event. `github.base_ref` is only set for pull_request events:
# a step that used it would get "" on a review and fail here as on GitHub.
CONTEXTS = {
    "pull_request": {
        "github.event_name": "pull_request",
        "github.event.pull_request.number": "12",
        "github.event.pull_request.base.ref": "main",
        "github.event.pull_request.user.login": "zoe",
        "github.base_ref": "main",
        "github.token": "fake-github-token",
    },
}
CONTEXTS["pull_request_review"] = {**CONTEXTS["pull_request"],
                                   "github.event_name": "pull_request_review",
                                   "github.base_ref": ""}
EVENTS = list(CONTEXTS)
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

FAKE_GH = """\
#!/usr/bin/env bash
# A stand-in for the GitHub CLI: the two calls the workflow makes, answered from $FAKE_GH_DATA.
echo "token=${GH_TOKEN:+set} $*" >> "$FAKE_GH_DATA/calls.log"
case "$*" in
  "api --paginate repos/acme/prompts/pulls/12/reviews") cat "$FAKE_GH_DATA/reviews.json" ;;
  "api --paginate orgs/acme/teams/writers/members --jq .[].login")
    cat "$FAKE_GH_DATA/writers.txt" ;;
  *) echo "gh stand-in: unexpected call: $*" >&2; exit 1 ;;
esac
"""


def load_workflow(path: Path = WORKFLOW) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


@dataclass
class Step:
    job: str
    name: str
    run: str  # "" for the step that uses the Prompt Engine action
    env: dict[str, str]

    @property
    def installs(self) -> bool:
        return not self.run


def substitute(text: str, context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: context[m.group(1)], text)


def run_steps(job_id: str, secrets: dict[str, str], event: str = "pull_request",
              workflow: Path = WORKFLOW) -> Iterator[Step]:
    """The job's `run:` steps and its use of the Prompt Engine action, in order."""
    context = {**CONTEXTS[event], **{f"secrets.{k}": v for k, v in secrets.items()}}
    job = load_workflow(workflow)["jobs"][job_id]
    for step in job["steps"]:
        env = {**job.get("env", {}), **step.get("env", {})}
        env = {k: substitute(str(v), context) for k, v in env.items()}
        if ACTION.match(str(step.get("uses", ""))):
            yield Step(job_id, step["name"], "", env)
        elif "run" in step:
            yield Step(job_id, step.get("name", step["run"]), substitute(step["run"], context),
                       env)


@dataclass
class Ran:
    step: Step
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Runner:
    checkout: Path
    temp: Path  # $RUNNER_TEMP
    data: Path  # what the gh stand-in answers
    bin: Path
    workflow: Path = WORKFLOW
    venv: Path | None = None  # the action's cached environment; None: this test environment's

    def job(self, job_id: str, secrets: dict[str, str] | None = None,
            event: str = "pull_request") -> list[Ran]:
        """Every step of the job in order, stopping at the first that fails."""
        ran = []
        github_path = self.temp / "github-path"
        github_path.write_text("")
        for step in run_steps(job_id, secrets or {}, event, self.workflow):
            added = github_path.read_text().split()  # what earlier steps put on PATH
            own = [] if self.venv else [str(Path(sys.executable).parent)]
            path = os.pathsep.join([*added, str(self.bin), *own, *_path_without_promptctl()])
            env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200", "PATH": path,
                   "RUNNER_TEMP": str(self.temp), "GITHUB_REPOSITORY": "acme/prompts",
                   "GITHUB_PATH": str(github_path), "FAKE_GH_DATA": str(self.data), **step.env}
            env.pop("PROMPTCTL_DEBUG", None)
            script = step.run
            if step.installs:
                if self.venv is None:
                    continue
                env.update(ACTION_PATH=str(ROOT), PROMPTCTL_VENV=str(self.venv),
                           PYTHON=sys.executable)
                script = 'bash "$ACTION_PATH/action/install.sh"'
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c",
                                   script], cwd=self.checkout, env=env, capture_output=True,
                                  text=True, timeout=300, check=False)
            assert "Traceback" not in proc.stderr, proc.stderr
            ran.append(Ran(step, proc.returncode, proc.stdout, proc.stderr))
            if proc.returncode:
                break
        return ran


def _path_without_promptctl() -> list[str]:
    """$PATH less any folder with a `promptctl`: steps run the one the job installed."""
    return [folder for folder in os.environ["PATH"].split(os.pathsep)
            if folder and not (Path(folder) / "promptctl").exists()]


def review(login: str, state: str, minute: int) -> dict[str, Any]:
    return {"id": minute, "user": {"login": login}, "state": state,
            "submitted_at": f"2026-01-02T10:{minute:02d}:00Z", "commit_id": "0" * 40}


@pytest.fixture
def pull_request(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path) -> Any:
    """A factory: (the pull request's files, reviews) -> a Runner over a fresh checkout."""

    def make(change: dict[str, str | None], reviews: list[dict[str, Any]]) -> Runner:
        origin = make_repo(BASE)
        generated = cli("codeowners", "--repo", str(origin))
        assert generated.returncode == 0, generated.output
        git(origin, "add", "-A")
        git(origin, "commit", "-q", "-m", "CODEOWNERS")
        checkout = tmp_path / f"checkout-{origin.name}"
        git(tmp_path, "clone", "-q", str(origin), str(checkout))
        git(checkout, "checkout", "-q", "-b", "feature")
        apply(checkout, change)
        git(checkout, "add", "-A")
        git(checkout, "commit", "-q", "-m", "the pull request")
        temp, data, bin_dir = (tmp_path / f"{name}-{origin.name}" for name in
                               ("runner-temp", "gh-data", "bin"))
        for folder in (temp, data, bin_dir):
            folder.mkdir()
        half = len(reviews) // 2  # two pages, back to back, as `gh api --paginate` prints them
        (data / "reviews.json").write_text(json.dumps(reviews[:half]) + json.dumps(reviews[half:]))
        (data / "writers.txt").write_text("dan\nerin\n")
        (bin_dir / "gh").write_text(FAKE_GH)
        (bin_dir / "gh").chmod(0o755)
        return Runner(checkout, temp, data, bin_dir)

    return make


needs_jq = pytest.mark.skipif(shutil.which("jq") is None,
                              reason="jq (preinstalled on GitHub's runners) is not installed here")


@pytest.mark.parametrize("event", EVENTS)
def test_good_pull_request_passes_every_step(pull_request: Any, event: str) -> None:
    runner = pull_request(GOOD, [review("zed", "COMMENTED", 1), review("erin", "APPROVED", 2)])
    prompts = runner.job("prompts", event=event)
    assert [(r.step.name, r.returncode) for r in prompts] == [
        ("Validate", 0), ("CODEOWNERS is current", 0), ("Versions and lifecycle", 0),
        ("Test prompts", 0)], [r.stdout + r.stderr for r in prompts]
    assert "changed: demo/greet (modified) 1.0.0 -> 1.1.0" in prompts[2].stdout


@needs_jq
@pytest.mark.parametrize("event", EVENTS)
def test_good_pull_request_is_approved_through_team_members(pull_request: Any,
                                                            event: str) -> None:
    runner = pull_request(GOOD, [review("zed", "COMMENTED", 1), review("erin", "APPROVED", 2)])
    approvals = runner.job("approvals", {"ORG_READ_TOKEN": "fake-org-token"}, event)
    assert [(r.step.name, r.returncode) for r in approvals] == [
        ("Fetch the reviews", 0), ("List the teams that own the changed prompts", 0),
        ("Fetch the members of those teams", 0), ("Owner approvals", 0)], \
        [r.stdout + r.stderr for r in approvals]
    assert (runner.temp / "teams.txt").read_text() == "acme/writers\n"
    assert approvals[-1].stdout.splitlines()[0] == (
        "ok: demo/greet (modified, scope team): approved by @erin (1 of 1)")
    calls = (runner.data / "calls.log").read_text().splitlines()
    assert calls == ["token=set api --paginate repos/acme/prompts/pulls/12/reviews",
                     "token=set api --paginate orgs/acme/teams/writers/members --jq .[].login"]


@needs_jq
def test_without_the_org_token_team_owners_stay_unresolved(pull_request: Any) -> None:
    runner = pull_request(GOOD, [review("erin", "APPROVED", 2)])
    approvals = runner.job("approvals", {"ORG_READ_TOKEN": ""})
    assert [(r.step.name, r.returncode) for r in approvals][-2:] == [
        ("Fetch the members of those teams", 0), ("Owner approvals", 1)]
    assert "::notice::ORG_READ_TOKEN is not set" in approvals[-2].stdout
    assert "the members of @acme/writers are unknown" in approvals[-1].stdout


def test_prompts_job_passes_on_this_repository(tmp_path: Path) -> None:
    """The starter library as it stands, as a pull request against the last commit: a clone
    (its origin/main is this repository's HEAD) with this work tree's library copied over."""
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--no-local", str(ROOT), str(checkout))
    shutil.rmtree(checkout / "prompts")
    shutil.copytree(ROOT / "prompts", checkout / "prompts")
    for name in ("CODEOWNERS", "promptctl.yaml"):
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, checkout / name)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    runner = Runner(checkout, temp, temp, temp)
    prompts = runner.job("prompts")
    assert [(r.step.name, r.returncode) for r in prompts] == [
        ("Validate", 0), ("CODEOWNERS is current", 0), ("Versions and lifecycle", 0),
        ("Test prompts", 0)], [r.stdout + r.stderr for r in prompts]


@pytest.mark.parametrize(("change", "failing", "annotation"), [
    (BAD_FILE, "Validate", f"::error file={GREET},line=1,col=1,title=schema::"),
    (BAD_VERSION, "Versions and lifecycle",
     f"::error file={GREET},line=4,col=1,title=version-bump::demo/greet: the file changed but "
     "its version did not go up (base 1.0.0, head 1.0.0); set version: 1.0.1 or higher"),
], ids=["invalid-prompt", "no-version-bump"])
def test_bad_pull_request_fails_its_step(pull_request: Any, change: dict[str, str | None],
                                         failing: str, annotation: str) -> None:
    runner = pull_request(change, [])
    prompts = runner.job("prompts")
    last = prompts[-1]
    assert (last.step.name, last.returncode) == (failing, 1), last.stdout + last.stderr
    assert all(r.returncode == 0 for r in prompts[:-1])
    assert any(line.startswith(annotation) for line in last.stdout.splitlines()), last.stdout


@needs_jq
def test_bad_pull_request_without_approval_fails_approvals(pull_request: Any) -> None:
    runner = pull_request(GOOD, [review("erin", "CHANGES_REQUESTED", 1)])
    approvals = runner.job("approvals", {"ORG_READ_TOKEN": "fake-org-token"})
    assert (approvals[-1].step.name, approvals[-1].returncode) == ("Owner approvals", 1)
    assert "@erin (an owner) requested changes" in approvals[-1].stdout


# --- what the workflow promises --------------------------------------------------------------


def test_triggers_are_pull_request_events_never_pull_request_target() -> None:
    on = load_workflow()["on"]
    assert set(on) == {"pull_request", "pull_request_review"}
    assert on["pull_request_review"] == {"types": ["submitted", "dismissed"]}
    for job in load_workflow()["jobs"].values():
        assert "if" not in job  # a skipped job would report success to branch protection


def test_permissions_are_read_only_and_least() -> None:
    workflow = load_workflow()
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert jobs["prompts"]["permissions"] == {"contents": "read"}
    assert jobs["approvals"]["permissions"] == {"contents": "read", "pull-requests": "read"}


def test_every_job_has_a_name_a_timeout_and_a_full_checkout() -> None:
    jobs = load_workflow()["jobs"]
    assert {job_id: job["name"] for job_id, job in jobs.items()} == {
        "prompts": "prompts", "approvals": "approvals"}
    for job in jobs.values():
        assert 0 < job["timeout-minutes"] <= 30
        checkout = [s for s in job["steps"] if str(s.get("uses", "")).startswith(
            "actions/checkout@")]
        assert checkout
        assert checkout[0]["with"] == {"fetch-depth": 0, "persist-credentials": False}
        # promptctl comes from this repository's own action, right after the checkout.
        assert job["steps"][job["steps"].index(checkout[0]) + 1] == INSTALL


def test_prompts_job_runs_the_four_gates() -> None:
    commands = [s.run for s in run_steps("prompts", {}) if not s.installs]
    assert commands == [
        "promptctl validate --format github",
        "promptctl codeowners --check",
        'promptctl check --base "origin/$BASE_REF" --format github',
        "promptctl test",
    ]


def test_event_values_and_secrets_stay_out_of_scripts() -> None:
    """Expressions only in `env:`; the one secret only in a step that runs no pull-request code."""
    steps = [(job_id, step) for job_id, job in load_workflow()["jobs"].items()
             for step in job["steps"]]
    for _job_id, step in steps:
        assert "${{" not in step.get("run", ""), step
    with_secrets = [step for _job_id, step in steps if "secrets." in json.dumps(step)]
    assert len(with_secrets) == 1
    assert with_secrets[0]["env"] == {"GH_TOKEN": "${{ secrets.ORG_READ_TOKEN }}"}
    commands = [line for line in with_secrets[0]["run"].splitlines()
                if not line.strip().startswith("#")]
    assert not [line for line in commands if "promptctl" in line or "pip " in line]


# --- the pre-commit hook ---------------------------------------------------------------------


def test_pre_commit_hook_validates_the_files_it_is_given(cli: CliRunner,
                                                         make_repo: RepoFactory) -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hooks == [{
        "id": "promptctl-validate", "name": "promptctl validate",
        "description": hooks[0]["description"], "entry": "promptctl validate",
        "language": "python", "files": "^prompts/", "pass_filenames": True,
    }]
    pattern = re.compile(hooks[0]["files"])
    assert pattern.search(GREET)
    assert not pattern.search("README.md")
    repo = make_repo({**BASE, "prompts/demo/bad.prompt.md": BAD_FILE[GREET]})
    entry = hooks[0]["entry"].split()[1:]  # pre-commit runs the entry from the repository root
    good = cli(*entry, GREET, cwd=repo)
    assert good.returncode == 0, good.output
    bad = cli(*entry, GREET, "prompts/demo/bad.prompt.md", cwd=repo)
    assert bad.returncode == 1, bad.output
    assert "prompts/demo/bad.prompt.md:1:1: error[schema]" in bad.stdout


# --- the workflow `promptctl init` scaffolds ---------------------------------------------------


def test_init_scaffolds_these_gates_with_a_pinned_promptctl(cli: CliRunner,
                                                             tmp_path: Path) -> None:
    """A new prompt library gets the same jobs, triggers and permissions (so everything above
    holds for it too), taking promptctl from the Prompt Engine action at the tag of the release
    that scaffolded it instead of from a checkout of itself."""
    from promptctl import __version__

    target = tmp_path / "library"
    assert cli("init", str(target), "--action", "acme/prompt-engine").returncode == 0
    text = (target / ".github" / "workflows" / "prompts.yml").read_text(encoding="utf-8")
    pinned = f"uses: acme/prompt-engine@v{__version__}  # zizmor: ignore[unpinned-uses]"
    assert text.count(pinned) == 2
    assert "CHANGE acme/prompt-engine" in text  # the comment says what to change
    scaffolded: dict[Any, Any] = yaml.safe_load(text.replace(
        f"acme/prompt-engine@v{__version__}", "./"))
    scaffolded["on"] = scaffolded.pop(True)
    assert scaffolded == load_workflow()
    placeholder = tmp_path / "default"
    assert cli("init", str(placeholder)).returncode == 0
    assert f"uses: your-org/prompt-engine@v{__version__}" in (
        placeholder / ".github" / "workflows" / "prompts.yml").read_text(encoding="utf-8")
    bad = cli("init", str(tmp_path / "bad"), "--action", "not a repository")
    assert bad.returncode == 2
    assert "is not OWNER/REPO" in bad.stderr
    assert not (tmp_path / "bad").exists()


@pytest.fixture(scope="module")
def action_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An environment as the action's cache restores it: the locked dependencies (here this test
    environment's, through a .pth file, so that nothing is downloaded) and no promptctl."""
    venv = tmp_path_factory.mktemp("action") / "promptctl-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    add_test_dependencies(venv)
    return venv


SUMMARIZE = "prompts/general/summarize.prompt.md"


@pytest.mark.parametrize(("bump", "failing"), [
    (True, None),
    (False, "Versions and lifecycle"),
], ids=["good-pull-request", "no-version-bump"])
def test_the_scaffolded_workflow_installs_through_the_action_and_gates(
        cli: CliRunner, tmp_path: Path, action_venv: Path, bump: bool,
        failing: str | None) -> None:
    origin = tmp_path / "library"
    assert cli("init", str(origin), "--action", "acme/prompt-engine",
               "--owner", "@acme/writers").returncode == 0
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "a new prompt library")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(origin), str(checkout))
    git(checkout, "checkout", "-q", "-b", "feature")
    text = (checkout / SUMMARIZE).read_text(encoding="utf-8")
    text = text.replace("say \"not stated\" rather than guess", "never guess")
    if bump:
        text = text.replace("version: 0.1.0", "version: 0.1.1")
    (checkout / SUMMARIZE).write_text(text, encoding="utf-8")
    git(checkout, "commit", "-q", "-am", "the pull request")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    runner = Runner(checkout, temp, temp, temp,
                    workflow=checkout / ".github" / "workflows" / "prompts.yml", venv=action_venv)
    ran = runner.job("prompts")
    outcome = [(r.step.name, r.returncode) for r in ran]
    gates = ["Install promptctl", "Validate", "CODEOWNERS is current", "Versions and lifecycle",
             "Test prompts"]
    if failing is None:
        assert outcome == [(name, 0) for name in gates], [r.stdout + r.stderr for r in ran]
        assert "changed: general/summarize (modified) 0.1.0 -> 0.1.1" in ran[3].stdout
    else:
        assert outcome[-1] == (failing, 1), [r.stdout + r.stderr for r in ran]
        assert f"::error file={SUMMARIZE},line=5,col=1,title=version-bump::" in ran[-1].stdout
    assert ran[0].stdout.strip().endswith(f"promptctl {_version()}")
    installed = (action_venv / "bin" / "promptctl").read_text(encoding="utf-8")
    assert installed.startswith(f"#!{action_venv}/bin/python")  # the steps ran this one


def _version() -> str:
    from promptctl import __version__

    return __version__


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    """Third-party actions by full commit SHA and a `# vX.Y.Z` comment, in the workflows, the
    action and the skeleton; only this repository's own action goes by `./` or its tag."""
    files = [*(ROOT / ".github").rglob("*.yml"), ROOT / "action.yml",
             *(ROOT / "promptctl" / "skeleton").rglob("*.yml")]
    uses = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
    seen = 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            found = uses.match(line)
            if not found:
                continue
            seen += 1
            target, rest = found.groups()
            if target == "./" or target.startswith("@@ACTION@@@v@@VERSION@@"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", target), (path, line)
            assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", rest), (path, line)
    assert seen >= 7
