"""Foundation benchmark: the figures the core is held to, measured on this machine.

1. ``promptctl validate`` on a repository of 1,000 prompts built from the public corpora
   (target: 3 s wall clock, process startup included);
2. ``promptctl --help`` wall time (target: 0.3 s);
3. in-process render of a typical prompt with the template cache warm, input validation
   included (target: median <= 200 us), and render alone;
4. for comparison, the ``prompty`` package loading and preparing an equivalent ``.prompty`` file.

Run: ``python bench/foundation.py [--corpora PATH] [--json]``. Nothing here asserts a timing:
the script prints what it measured next to the target. It exits 0 without measuring when the
corpora folder is absent, and 1 when the generated repository does not validate (a finding).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import yaml

if TYPE_CHECKING:
    import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

PROMPT_COUNT = 1000
VALIDATE_RUNS = 5
HELP_RUNS = 10
RENDER_WARMUP = 200
RENDER_ITERATIONS = 2000
PROMPTY_WARMUP = 20
PROMPTY_ITERATIONS = 300

VALIDATE_TARGET_S = 3.0
HELP_TARGET_S = 0.3
RENDER_TARGET_US = 200.0

TEST_VALUE = "bench-input-value"
# Jinja2 ends a raw block at the first `{% endraw %}` in any spacing or whitespace-control form.
_ENDRAW = re.compile(r"\{%[-+]?\s*endraw\b")
_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")


# --- output ----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured figure; ``target`` None marks a comparison without a target."""

    key: str
    label: str
    measured: float
    unit: str  # "s" or "us"
    target: float | None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return "ok" if self.measured <= self.target else "over"

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "measured": round(self.measured, 6),
            "unit": self.unit,
            "target": self.target,
            "verdict": self.verdict,
            **self.detail,
        }


class Log:
    """Human progress lines: stdout normally, stderr under --json so stdout stays pure JSON."""

    def __init__(self, as_json: bool) -> None:
        self.stream: TextIO = sys.stderr if as_json else sys.stdout

    def __call__(self, line: str = "") -> None:
        print(line, file=self.stream, flush=True)


# --- shared by the benches that run servers (server.py, usage.py) ------------------------------

GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def log(message: str = "") -> None:
    print(message, file=sys.stderr, flush=True)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


# --- shared by the benches that build Git histories and start the server --------------------

EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z: the first commit's date in built histories


class FastImport:
    """A ``git fast-import`` stream: blobs inline, one commit per call."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.commits = 0

    def commit(self, branch: str, message: str, files: Mapping[str, str | None],
               parent: str | None = None) -> None:
        self.commits += 1
        when = EPOCH + self.commits * 60
        data = message.encode()
        self.parts.append(
            f"commit refs/heads/{branch}\nmark :{self.commits}\n"
            f"author Bench <bench@example.com> {when} +0000\n"
            f"committer Bench <bench@example.com> {when} +0000\n"
            f"data {len(data)}\n".encode() + data + b"\n")
        if parent is not None:
            self.parts.append(f"from {parent}\n".encode())
        for path, text in files.items():
            if text is None:
                self.parts.append(f"D {path}\n".encode())
                continue
            blob = text.encode()
            self.parts.append(f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob
                              + b"\n")
        self.parts.append(b"\n")

    def data(self) -> bytes:
        return b"".join(self.parts)


def new_key(keys: Path, name: str, role: str) -> str:
    """A key made the way an operator makes one: `promptctl keys add` prints it once."""
    made = subprocess.run(
        [sys.executable, "-m", "promptctl", "keys", "add", name, "--role", role, "--team",
         "bench", "--keys", str(keys)],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT,
    )
    return made.stdout.strip()


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of process ``pid``, its reaped children and its live
    descendants, from /proc; None where there is no /proc."""
    tick = os.sysconf("SC_CLK_TCK")

    def own(pid: int, reaped: bool) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        if reaped:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
        return ticks / tick

    def children(pid: int) -> list[int]:
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found

    try:
        total, stack = own(pid, True), children(pid)
        while stack:
            child = stack.pop()
            try:
                total += own(child, False)
                stack += children(child)
            except OSError:  # it exited meanwhile (its time went to the parent)
                continue
        return total
    except OSError:
        return None


def wait_ready(url: str, server: subprocess.Popen[Any], *, seconds: float = 300,
               what: str = "promptctl serve") -> None:
    """Poll ``url``/readyz until it answers 200; ``SystemExit`` naming ``what`` when the server
    exits first or ``seconds`` pass (the caller stops it).

    Each poll is a plain ``http.client`` request, about 0.1 ms of CPU: ``httpx.get`` builds a
    client with a TLS context every time, 20 ms of CPU, and polled every 20 ms it took half a
    core of the two that the server being timed starts on."""
    import http.client
    import urllib.parse

    where = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    while True:
        connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port,
                                                timeout=5)
        try:
            connection.request("GET", f"{where.path.rstrip('/')}/readyz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):  # not listening yet, or dropped
            pass
        finally:
            connection.close()
        if server.poll() is not None:
            raise SystemExit(f"FINDING: {what} exited with {server.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise SystemExit(f"FINDING: {what} did not get ready in {seconds:g} s")
        time.sleep(0.02)


@contextmanager
def served(repo: Path, port: int, keys: Path, work: Path, cache: Path,
           token: str) -> Iterator[tuple[httpx.Client, float, float | None, int]]:
    """`promptctl serve` over ``repo``, a client with ``token``, the seconds it took to be ready,
    the CPU seconds it used to get there and its process id; the server is stopped on the way
    out."""
    import httpx

    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "promptctl", "serve", "--repo", str(repo),
                               "--port", str(port), "--keys", str(keys), "--poll", "0",
                               "--rate-limit", "0", "--usage-db", str(work / "usage.sqlite3"),
                               "--index-cache", str(cache)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        seconds = time.perf_counter() - started
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            yield client, seconds, cpu_seconds(server.pid), server.pid
    finally:
        server.terminate()
        server.wait(timeout=60)


@dataclass
class Load:
    """What ``http_load`` measured: per-request latencies (ms, in sending order per client), the
    wall time, the requests whose status was not the expected one, and the client's own CPU."""

    latencies_ms: list[float]
    seconds: float
    errors: int
    client_cpu_s: float

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def p95_ms(self) -> float:
        return _p95(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def client_cpu_us(self) -> float:
        """The load client's CPU per request: what it takes from a machine it shares."""
        return self.client_cpu_s / self.requests * 1e6 if self.requests else 0.0


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


def http_load(port: int, targets: list[str], *, clients: int = 1,
              headers: Mapping[str, str] | None = None, expect: int = 200,
              host: str = "127.0.0.1", timeout: float = 60.0) -> Load:
    """GET each of ``targets`` (paths with their query, already encoded) once, over ``clients``
    keep-alive HTTP/1.1 connections that each send their next request when the answer to the
    last one is complete.

    The client costs little CPU (one thread, a selector, requests encoded before the clock
    starts, answers framed by Content-Length and not parsed further), so that on a machine it
    shares with the server it measures the server rather than itself; ``Load.client_cpu_us``
    says what it took. An answer without Content-Length, or a connection the server closes, is
    a RuntimeError: the read API answers every GET with a length.
    """
    import selectors

    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    requests = [f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode("latin-1")
                for target in reversed(targets)]  # popped from the end: sent in the given order
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    errors = 0
    # Per connection: [buffer, start of the request in flight, end of its header, body length]
    states: dict[socket.socket, list[Any]] = {}

    def send_next(sock: socket.socket) -> bool:
        if not requests:
            return False
        states[sock] = [b"", time.perf_counter(), -1, 0]
        sock.sendall(requests.pop())
        return True

    connections = [socket.create_connection((host, port), timeout=timeout)
                   for _ in range(max(1, min(clients, len(targets))))]
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    try:
        for sock in connections:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            if send_next(sock):
                selector.register(sock, selectors.EVENT_READ)
        while selector.get_map():
            ready = selector.select(timeout)
            if not ready:
                raise RuntimeError(f"no answer from 127.0.0.1:{port} in {timeout:g} s")
            for key, _events in ready:
                sock = cast(socket.socket, key.fileobj)
                chunk = sock.recv(262_144)
                if not chunk:
                    raise RuntimeError(f"the server on port {port} closed a connection")
                state = states[sock]
                state[0] += chunk
                if state[2] < 0:
                    end = state[0].find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    length = _CONTENT_LENGTH.search(state[0], 0, end + 2)
                    if length is None:
                        raise RuntimeError(f"an answer without Content-Length: {state[0][:200]!r}")
                    state[2], state[3] = end + 4, int(length.group(1))
                if len(state[0]) < state[2] + state[3]:
                    continue
                latencies.append((time.perf_counter() - state[1]) * 1000)
                if int(state[0][9:12]) != expect:
                    errors += 1
                if not send_next(sock):
                    selector.unregister(sock)
        seconds = time.perf_counter() - wall_start
        return Load(latencies, seconds, errors, time.process_time() - cpu_start)
    finally:
        selector.close()
        for sock in connections:
            sock.close()


def _fmt(value: float, unit: str) -> str:
    return f"{value:.3f} s" if unit == "s" else f"{value:.1f} us"


def _require(condition: bool, finding: str) -> None:
    """A check that survives ``python -O``: a failed one is a finding, exit 1."""
    if not condition:
        print(f"FINDING: {finding}", file=sys.stderr)
        sys.exit(1)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- 1. a 1,000-prompt repository from the corpora -------------------------------------------


@dataclass(frozen=True)
class CorpusText:
    collection: str
    name: str  # a valid id segment
    text: str


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "prompt"


def _strip_front_matter(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return text
    for index in range(1, len(lines)):
        if _FENCE.match(lines[index].rstrip("\r\n")):
            return "".join(lines[index + 1 :])
    return text  # unterminated: keep the text as it is


def corpus_texts(corpora: Path) -> tuple[list[CorpusText], list[str]]:
    """(usable texts, reasons for the skipped ones), in a stable order."""
    found: list[CorpusText] = []
    skipped: list[str] = []
    sources: list[tuple[str, str, Path, bool]] = []
    for path in sorted((corpora / "fabric" / "patterns").glob("*/system.md")):
        sources.append(("fabric", path.parent.name, path, False))
    for path in sorted((corpora / "awesome-copilot" / "prompts").glob("*.prompt.md")):
        sources.append(("copilot", path.name.removesuffix(".prompt.md"), path, True))
    used: set[tuple[str, str]] = set()
    for collection, raw_name, path, has_front_matter in sources:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            skipped.append(f"{path}: unreadable ({exc})")
            continue
        if has_front_matter:
            text = _strip_front_matter(text)
        text = text.strip()
        if not text:
            skipped.append(f"{path}: empty once front matter is removed")
            continue
        if _ENDRAW.search(text):
            skipped.append(f"{path}: contains {{% endraw %}}, cannot be wrapped in a raw block")
            continue
        name = _slug(raw_name)
        while (collection, name) in used:
            name += "-x"
        used.add((collection, name))
        found.append(CorpusText(collection, name, text))
    return found, skipped


def _description(text: str, fallback: str) -> str:
    for line in text.splitlines():
        cleaned = line.strip().lstrip("#").strip()
        if cleaned:
            return cleaned[:200].strip() or fallback
    return fallback


def prompt_file(item: CorpusText) -> str:
    title = item.name.replace("-", " ").capitalize()[:120]
    front_matter: dict[str, Any] = {
        "title": title,
        "description": _description(item.text, f"{title} ({item.collection} corpus text)"),
        "version": "1.0.0",
        "status": "active",
        "owners": ["@bench/team"],
        "tags": ["bench"],
        "inputs": {
            "input": {
                "type": "string",
                "description": "The material the prompt works on.",
                "required": True,
            }
        },
        "tests": [
            {"name": "renders", "inputs": {"input": TEST_VALUE},
             "expect": {"contains": TEST_VALUE}}
        ],
    }
    header = yaml.safe_dump(front_matter, sort_keys=False, allow_unicode=True)
    body = f"{{% raw %}}\n{item.text}\n{{% endraw %}}\n\nInput:\n{{{{ input }}}}\n"
    return f"---\n{header}---\n{body}"


def build_repository(root: Path, texts: list[CorpusText], count: int) -> None:
    """``count`` prompt files, no two the same: the corpus texts as they are first, then (the
    corpora hold a few hundred) each text again joined with a paragraph of another one, a
    different one each round, so that no cache keyed on content sees a file twice."""
    def cycle() -> Iterator[tuple[int, int, CorpusText]]:
        round_number = 0
        while True:
            round_number += 1
            for index, item in enumerate(texts):
                yield round_number, index, item

    for written, (round_number, index, base) in enumerate(cycle()):
        if written >= count:
            break
        item = base
        if round_number > 1:
            other = texts[(index + 7 * round_number) % len(texts)]
            item = CorpusText(base.collection, base.name,
                              f"{base.text}\n\n{_paragraph(other.text, round_number)}")
        target = root / "prompts" / item.collection / f"{item.name}-{round_number}.prompt.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(prompt_file(item), encoding="utf-8")


def _paragraph(text: str, round_number: int) -> str:
    """One paragraph of ``text`` (which one depends on the round), with the round's number."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    chosen = paragraphs[round_number % len(paragraphs)] if paragraphs else text
    return f"Also (variant {round_number}):\n{chosen}"


def _wall(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def bench_validate(corpora: Path, log: Log) -> Figure:
    texts, skipped = corpus_texts(corpora)
    if not texts:
        log(f"no usable texts under {corpora}")
        sys.exit(1)
    by_collection: dict[str, int] = {}
    for item in texts:
        by_collection[item.collection] = by_collection.get(item.collection, 0) + 1
    counts = ", ".join(f"{n} {c}" for c, n in sorted(by_collection.items()))
    log(f"[1] promptctl validate on {PROMPT_COUNT:,} prompts built from {len(texts)} corpus "
        f"texts ({counts}); {len(skipped)} skipped")
    for reason in skipped:
        log(f"    skipped {reason}")
    with tempfile.TemporaryDirectory(prefix="promptctl-bench-") as tmp:
        root = Path(tmp)
        build_repository(root, texts, PROMPT_COUNT)
        command = [sys.executable, "-m", "promptctl", "validate", "--repo", str(root)]
        _elapsed, first = _wall(command)  # also warms the bytecode caches
        output = (first.stdout + first.stderr).strip()
        if first.returncode != 0:
            log(f"    FINDING: `promptctl validate` exited {first.returncode} on the generated "
                "repository (expected 0); its output:")
            log(output)
            sys.exit(1)
        log(f"    check run: exit 0, {output.splitlines()[-1] if output else '(no output)'}")
        runs: list[float] = []
        for index in range(VALIDATE_RUNS):
            elapsed, done = _wall(command)
            if done.returncode != 0:
                log(f"    run {index + 1} exited {done.returncode}:\n{done.stdout}{done.stderr}")
                sys.exit(1)
            runs.append(elapsed)
            log(f"    run {index + 1}: {elapsed:.3f} s")
    median = statistics.median(runs)
    log(f"    median {median:.3f} s (target {VALIDATE_TARGET_S:g} s)")
    return Figure("validate_1000", f"validate, {PROMPT_COUNT:,} prompts (median of "
                  f"{VALIDATE_RUNS})", median, "s", VALIDATE_TARGET_S,
                  {"runs": [round(r, 4) for r in runs], "texts": len(texts),
                   "skipped": len(skipped)})


# --- 2. promptctl --help -----------------------------------------------------------------------


def bench_help(log: Log) -> Figure:
    script = Path(sys.executable).parent / "promptctl"
    command = [str(script), "--help"] if script.exists() else [sys.executable, "-m", "promptctl",
                                                               "--help"]
    log(f"[2] `{' '.join(command[-2:] if script.exists() else command[-3:])}` wall time, "
        f"{HELP_RUNS} runs")
    _elapsed, first = _wall(command)  # warm-up, not counted
    if first.returncode != 0:
        log(f"    FINDING: --help exited {first.returncode}:\n{first.stdout}{first.stderr}")
        sys.exit(1)
    runs = [_wall(command)[0] for _ in range(HELP_RUNS)]
    median = statistics.median(runs)
    log(f"    runs: {', '.join(f'{r:.3f}' for r in runs)} s")
    log(f"    median {median:.3f} s (target {HELP_TARGET_S:g} s)")
    return Figure("help", f"--help (median of {HELP_RUNS})", median, "s", HELP_TARGET_S,
                  {"runs": [round(r, 4) for r in runs], "command": command[0]})


# --- 3. in-process render ----------------------------------------------------------------------

SYSTEM = (
    "You are a senior {{ language }} reviewer. Be specific, kind and brief; "
    "quote the line you comment on."
)
USER = """Review the following {{ language }} change for {{ audience }}.

Focus on:
{% for item in focus %}
- {{ item }}
{% endfor %}
{% if strict %}
Flag every deviation from the team style guide, however small.
{% else %}
Mention style only where it hides a bug.
{% endif %}

```{{ language }}
{{ code }}
```"""
GIVEN: dict[str, Any] = {
    "language": "python",
    "audience": "a junior engineer",
    "code": "def add(a, b):\n    return a + b\n",
    "focus": ["correctness", "error handling", "naming", "tests"],
    "strict": True,
}


def typical_prompt_file() -> str:
    front_matter: dict[str, Any] = {
        "title": "Code review",
        "description": "Review a change with a focus list; the typical shape of a team prompt.",
        "version": "1.0.0",
        "status": "active",
        "owners": ["@bench/team"],
        "tags": ["bench", "code-review"],
        "system": SYSTEM,
        "inputs": {
            "language": {"type": "string", "description": "Programming language.",
                         "required": True},
            "audience": {"type": "string", "description": "Who reads the review.",
                         "default": "the author"},
            "code": {"type": "string", "description": "The change to review.", "required": True},
            "focus": {"type": "array", "items": {"type": "string"},
                      "description": "What to look at.", "default": ["correctness"]},
            "strict": {"type": "boolean", "description": "Comment on style too.",
                       "default": False},
        },
    }
    header = yaml.safe_dump(front_matter, sort_keys=False, allow_unicode=True)
    return f"---\n{header}---\n{USER}\n"


def _time_ns(step: Callable[[], object], warmup: int, iterations: int) -> list[float]:
    """Per-call microseconds of `step`, after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    samples: list[float] = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        step()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def bench_render(log: Log) -> list[Figure]:
    from promptctl import inputs
    from promptctl.library import Library

    log(f"[3] in-process render of a typical prompt (system + body with 5 inputs, a loop, an "
        f"if), {RENDER_ITERATIONS:,} iterations after {RENDER_WARMUP} warm-up")
    with tempfile.TemporaryDirectory(prefix="promptctl-bench-render-") as tmp:
        root = Path(tmp)
        path = root / "prompts" / "bench" / "code-review.prompt.md"
        path.parent.mkdir(parents=True)
        path.write_text(typical_prompt_file(), encoding="utf-8")
        library = Library.from_work_tree(root)
    if not library.ok:
        log("    FINDING: the typical prompt does not validate:")
        for problem in library.problems:
            log(f"    {problem.format_text()}")
        sys.exit(1)
    prompt = library.usable("bench/code-review")
    renderer = library.renderer
    values = inputs.resolve(prompt, GIVEN)
    text = renderer.render(prompt, values).text
    _require(all(v in text for v in ("error handling", "junior engineer")),
             f"promptctl's render lacks an input value: {text!r}")

    def full() -> object:
        return renderer.render(prompt, inputs.resolve(prompt, GIVEN))

    def render_only() -> object:
        return renderer.render(prompt, values)

    figures = []
    for key, label, step, target in (
        ("render", "render + input validation, median", full, RENDER_TARGET_US),
        ("render_only", "render alone, median", render_only, None),
    ):
        samples = _time_ns(step, RENDER_WARMUP, RENDER_ITERATIONS)
        median, p95 = statistics.median(samples), _p95(samples)
        goal = f" (target median <= {target:g} us)" if target is not None else ""
        log(f"    {label.split(',')[0]}: median {median:.1f} us, p95 {p95:.1f} us{goal}")
        figures.append(Figure(key, label, median, "us", target, {"p95_us": round(p95, 1)}))
    return figures


# --- 4. prompty, for comparison ---------------------------------------------------------------


def prompty_file() -> str:
    """The same system and user text, the same inputs, as a Prompty 2 file (Jinja2 format)."""
    front_matter: dict[str, Any] = {
        "name": "code-review",
        "description": "Review a change with a focus list; the typical shape of a team prompt.",
        "inputs": {
            "language": {"kind": "string", "description": "Programming language.",
                         "required": True},
            "audience": {"kind": "string", "description": "Who reads the review.",
                         "default": "the author"},
            "code": {"kind": "string", "description": "The change to review.",
                     "required": True},
            "focus": {"kind": "array", "items": {"kind": "string"},
                      "description": "What to look at.", "default": ["correctness"]},
            "strict": {"kind": "boolean", "description": "Comment on style too.",
                       "default": False},
        },
        "template": {"format": {"kind": "jinja2"}, "parser": {"kind": "prompty"}},
    }
    header = yaml.safe_dump(front_matter, sort_keys=False, allow_unicode=True)
    return f"---\n{header}---\nsystem:\n{SYSTEM}\n\nuser:\n{USER}\n"


def bench_prompty(log: Log) -> list[Figure]:
    try:
        import prompty
    except ImportError:
        log("[4] prompty not installed (pip install -e .[bench])")
        return []
    version = getattr(prompty, "__version__", "?")
    log(f"[4] prompty {version}: load + prepare of the equivalent .prompty file, "
        f"{PROMPTY_ITERATIONS} iterations after {PROMPTY_WARMUP} warm-up")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="promptctl-bench-prompty-") as tmp:
        path = Path(tmp) / "code-review.prompty"
        path.write_text(prompty_file(), encoding="utf-8")
        agent = prompty.load(str(path))
        messages = prompty.prepare(agent, dict(GIVEN))
        joined = "\n\n".join(str(m.text) for m in messages)
        roles = [str(m.role) for m in messages]
        log(f"    rendered once: roles {roles}, starts {joined[:80]!r}")
        _require(all(v in joined for v in ("error handling", "junior engineer")),
                 f"prompty's output lacks an input value: {joined!r}")
        _require(roles == ["system", "user"], f"prompty's roles are {roles}")

        def load_prepare() -> object:
            return prompty.prepare(prompty.load(str(path)), dict(GIVEN))

        def prepare_only() -> object:
            return prompty.prepare(agent, dict(GIVEN))

        for key, label, step in (
            ("prompty_load_prepare", "prompty load + prepare, median", load_prepare),
            ("prompty_prepare", "prompty prepare alone, median", prepare_only),
        ):
            samples = _time_ns(step, PROMPTY_WARMUP, PROMPTY_ITERATIONS)
            median, p95 = statistics.median(samples), _p95(samples)
            log(f"    {label.removeprefix('prompty ').split(',')[0]}: median {median:.1f} us, "
                f"p95 {p95:.1f} us")
            figures.append(Figure(key, label, median, "us", None,
                                  {"p95_us": round(p95, 1), "version": version}))
    return figures


# --- main --------------------------------------------------------------------------------------


def summary(figures: list[Figure], log: Log) -> None:
    rows = [("figure", "measured", "p95", "target", "ok/over")]
    for figure in figures:
        target = "-" if figure.target is None else _fmt(figure.target, figure.unit)
        p95 = figure.detail.get("p95_us")
        rows.append((figure.label, _fmt(figure.measured, figure.unit),
                     "-" if p95 is None else _fmt(float(p95), "us"), target, figure.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    log()
    log("summary")
    for index, row in enumerate(rows):
        log("  " + "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                             for i, cell in enumerate(row)).rstrip())
        if index == 0:
            log("  " + "  ".join("-" * w for w in widths))
    by_key = {f.key: f for f in figures}
    ours, theirs = by_key.get("render"), by_key.get("prompty_prepare")
    if ours is not None and theirs is not None:
        log(f"  prompty prepare alone is {theirs.measured / ours.measured:.1f}x promptctl's "
            "render + input validation")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                        help=f"the public prompt corpora (default: {DEFAULT_CORPORA})")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON object on stdout")
    args = parser.parse_args(argv)
    corpora: Path = args.corpora
    log = Log(bool(args.json))
    if not corpora.is_dir():
        message = f"corpora not found at {corpora}, skipping"
        log(message)
        if args.json:
            print(json.dumps({"skipped": message}))
        return 0
    log(f"promptctl foundation bench: python {sys.version.split()[0]}, {sys.executable}")
    figures = [bench_validate(corpora, log), bench_help(log), *bench_render(log),
               *bench_prompty(log)]
    summary(figures, log)
    if args.json:
        print(json.dumps({f.key: f.as_dict() for f in figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
