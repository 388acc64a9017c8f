"""Web console benchmark: the speed targets of the console, measured in Debian's Chromium against
``promptctl serve`` over a Git repository of N prompts (default 10,000) built from the corpora.

1. first load to an interactive search box (target 1 s): a new browser context each time (no
   HTTP cache), from navigation start to the search box focused with its handlers attached;
   then the same with the browser's cache warm (a reload);
2. keystroke to results shown (target p95 100 ms): words taken from the prompts' titles typed
   one character at a time; each keystroke is timed in the page, from the input event to the
   frame after the results list shows that exact query. A query typed before (the same prefix
   of another word) is reported apart: the server keeps no answers, but it is not a new query.
   The same queries sent straight to the API from this script give the server's share;
3. render round trip shown (target 100 ms): on a prompt's page, a distinct input each time,
   from the click on Render to the frame after the preview shows it;
4. JavaScript shipped (target 250 KB gzipped): the scripts index.html loads, as the server sends
   them to a browser that accepts gzip (CSS beside it, for the record).

Run: ``python bench/web.py [--count N] [--corpora PATH] [--json]`` after ``bash scripts/test``
(or ``npm run build`` in web/) has built the console. Nothing is asserted: the figures are
printed next to their targets, with the load average. Exit 0 when measured or when the corpora
or Chromium are absent (said on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from foundation import (
    DEFAULT_CORPORA,
    _p95,
    build_repository,
    corpus_texts,
    free_port,
    git,
    log,
    wait_ready,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking",
                 "--disable-component-update", "--disable-gpu", "--no-first-run",
                 "--disable-sync"]
TARGETS = {"first_load_ms": 1000.0, "keystroke_p95_ms": 100.0, "render_p95_ms": 100.0,
           "js_gzip_kb": 250.0}

# In the page: type each word one character at a time, timing each keystroke from the input
# event to the frame after the results list (data-query) shows that query.
TYPE_WORDS = """async (words) => {
  const box = document.querySelector('input[role=combobox]');
  const list = document.getElementById(box.getAttribute('aria-controls'));
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const type = async (text) => {
    const start = performance.now();
    setValue.call(box, text);
    box.dispatchEvent(new Event('input', {bubbles: true}));
    if (text) await new Promise((resolve) => {
      const shown = () => list.dataset.query === text;
      if (shown()) return resolve();
      const watch = new MutationObserver(() => { if (shown()) { watch.disconnect(); resolve(); } });
      watch.observe(list, {attributes: true, attributeFilter: ['data-query']});
    });
    await frame();
    return performance.now() - start;
  };
  const samples = [];
  for (const word of words) {
    await type('');
    for (let i = 1; i <= word.length; i++) {
      const query = word.slice(0, i);
      samples.push([query, await type(query)]);
    }
  }
  return samples;
}"""

# In the page: render with a distinct input each time, from the click to the frame after the
# preview shows it.
RENDER_ROUNDS = """async (count) => {
  const area = document.querySelector('form[aria-label=Inputs] textarea');
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Render');
  const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
  const samples = [];
  for (let n = 0; n < count; n++) {
    const marker = `bench-input-${n}-${Math.random().toString(36).slice(2)}`;
    setValue.call(area, marker);
    area.dispatchEvent(new Event('input', {bubbles: true}));
    await new Promise((r) => setTimeout(r, 0));
    const start = performance.now();
    button.click();
    await new Promise((resolve) => {
      const shown = () => {
        const preview = document.querySelector('[data-testid=rendered]');
        return preview && preview.textContent.includes(marker) && !preview.matches('.stale');
      };
      if (shown()) return resolve();
      const watch = new MutationObserver(() => { if (shown()) { watch.disconnect(); resolve(); } });
      watch.observe(document.body,
                    {subtree: true, childList: true, characterData: true, attributes: true});
    });
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    samples.push(performance.now() - start);
  }
  return samples;
}"""


def build_library(work: Path, corpora: Path, count: int) -> tuple[Path, list[str]]:
    texts, _skipped = corpus_texts(corpora)
    repo = work / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    build_repository(repo, texts, count)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{count} prompts")
    words: list[str] = []
    for item in texts:
        for word in re.findall(r"[a-z]{5,}", item.name.replace("-", " ").lower()):
            if word not in words:
                words.append(word)
    return repo, words


def serve(repo: Path, work: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "promptctl", "serve", "--repo", str(repo), "--port", str(port),
         "--poll", "0", "--rate-limit", "0", "--usage-db", str(work / "usage.sqlite3"),
         "--index-cache", str(work / "cache")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
    except SystemExit:
        server.kill()
        raise
    return server


def shipped(url: str) -> dict[str, float]:
    """Bytes of the scripts and styles index.html loads, as sent gzipped and as they are."""
    html = httpx.get(url + "/", timeout=10).text
    sizes = {"js_gzip_kb": 0.0, "js_raw_kb": 0.0, "css_gzip_kb": 0.0}
    for asset in re.findall(r'(?:src|href)="(/assets/[^"]+)"', html):
        kind = "js" if asset.endswith(".js") else "css"
        with httpx.stream("GET", url + asset, headers={"Accept-Encoding": "gzip"}) as answer:
            raw = b"".join(answer.iter_raw())
        sizes[f"{kind}_gzip_kb"] += len(raw) / 1024
        if kind == "js":
            sizes["js_raw_kb"] += len(httpx.get(url + asset, headers={
                "Accept-Encoding": "identity"}).content) / 1024
    return sizes


def api_search(url: str, queries: list[str]) -> list[float]:
    """The same queries straight to the API (one client, keep-alive): the server's share."""
    samples = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for query in queries:
            start = time.perf_counter()
            client.get("/api/v1/search", params={"q": query, "limit": 20}).raise_for_status()
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def first_loads(browser: Any, url: str, runs: int) -> tuple[list[float], list[float]]:
    focused = ("() => document.activeElement && document.activeElement.getAttribute('role') "
               "=== 'combobox' ? performance.now() : false")
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/", wait_until="commit")
        cold.append(float(page.wait_for_function(focused, polling="raf").json_value()))
        page.reload(wait_until="commit")
        warm.append(float(page.wait_for_function(focused, polling="raf").json_value()))
        context.close()
    return cold, warm


def measure(url: str, words: list[str], renders: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            cold, warm = first_loads(browser, url, 10)
            page = browser.new_page()
            page.goto(url + "/")
            page.wait_for_function("document.activeElement?.getAttribute('role') === 'combobox'")
            typed: list[list[Any]] = page.evaluate(TYPE_WORDS, words)
            seen: set[str] = set()
            new: list[float] = []
            again: list[float] = []
            for query, ms in typed:
                (again if query in seen else new).append(float(ms))
                seen.add(query)
            first = httpx.get(f"{url}/api/v1/prompts", params={"limit": 1}, timeout=10).json()
            page.goto(f"{url}/p/{first['items'][0]['id']}")
            page.get_by_role("button", name="Render").wait_for()
            page.evaluate(RENDER_ROUNDS, 5)  # warm-up
            rendered: list[float] = page.evaluate(RENDER_ROUNDS, renders)
        finally:
            browser.close()
    return {"first_load_ms": cold, "first_load_warm_ms": warm, "keystroke_ms": new,
            "keystroke_repeat_ms": again, "render_ms": rendered,
            "api_search_ms": api_search(url, [query for query, _ms in typed])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=40, help="title words typed")
    parser.add_argument("--renders", type=int, default=60)
    parser.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        log(f"corpora not found at {args.corpora}, skipping")
        return 0
    if not CHROMIUM.is_file():
        log(f"{CHROMIUM} is absent (apt-get install chromium), skipping")
        return 0
    if not (REPO_ROOT / "server" / "webapp" / "index.html").is_file():
        log("the web console is not built: run `npm ci && npm run build` in web/ first")
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        work = Path(tmp)
        log(f"building a repository of {args.count:,} prompts ...")
        repo, words = build_library(work, args.corpora, args.count)
        port = free_port()
        server = serve(repo, work, port)
        url = f"http://127.0.0.1:{port}"
        try:
            log("measuring in Chromium ...")
            samples = measure(url, words[:args.words], args.renders)
            sizes = shipped(url)
        finally:
            server.terminate()
            server.wait(timeout=30)
    load = os.getloadavg()
    figures: dict[str, Any] = {
        "prompts": args.count,
        "first_load_ms": statistics.median(samples["first_load_ms"]),
        "first_load_p95_ms": _p95(samples["first_load_ms"]),
        "first_load_warm_ms": statistics.median(samples["first_load_warm_ms"]),
        "keystroke_p50_ms": statistics.median(samples["keystroke_ms"]),
        "keystroke_p95_ms": _p95(samples["keystroke_ms"]),
        "keystrokes": len(samples["keystroke_ms"]),
        "keystroke_repeat_p95_ms": _p95(samples["keystroke_repeat_ms"])
        if samples["keystroke_repeat_ms"] else None,
        "keystroke_repeats": len(samples["keystroke_repeat_ms"]),
        "api_search_p95_ms": _p95(samples["api_search_ms"]),
        "render_p50_ms": statistics.median(samples["render_ms"]),
        "render_p95_ms": _p95(samples["render_ms"]),
        "renders": len(samples["render_ms"]),
        **{k: round(v, 1) for k, v in sizes.items()},
        "load_average": [round(x, 2) for x in load],
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    rows = [
        ("first load to interactive search box (median of 10, cold)", "first_load_ms"),
        ("  p95 of the 10 cold loads", "first_load_p95_ms"),
        ("  with the browser's cache warm (median)", "first_load_warm_ms"),
        (f"keystroke to results shown, p95 ({figures['keystrokes']} new queries)",
         "keystroke_p95_ms"),
        ("  p50", "keystroke_p50_ms"),
        (f"  p95 of {figures['keystroke_repeats']} queries typed before",
         "keystroke_repeat_p95_ms"),
        ("  the same queries straight to /api/v1/search, p95", "api_search_p95_ms"),
        (f"render round trip shown, p95 ({figures['renders']} renders)", "render_p95_ms"),
        ("  p50", "render_p50_ms"),
        ("JavaScript shipped, gzipped (KB)", "js_gzip_kb"),
        ("  as it is (KB)", "js_raw_kb"),
        ("  CSS, gzipped (KB)", "css_gzip_kb"),
    ]
    print(f"web console, {args.count:,} prompts, {figures['cpus']} CPUs, load average "
          f"{' '.join(str(x) for x in figures['load_average'])}")
    for label, key in rows:
        value = figures[key]
        target = TARGETS.get(key)
        shown = "-" if value is None else f"{value:.1f}"
        verdict = "" if target is None or value is None else (
            f"  target {target:.0f}: {'ok' if value <= target else 'over'}")
        unit = "" if key.endswith("_kb") else " ms"
        print(f"  {label:<62} {shown:>8}{unit}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
