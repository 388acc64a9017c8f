"""The console's API types are generated from docs/openapi.json (`npm run api` in web/): the
committed web/src/api/schema.d.ts must be what the generator makes of the committed document,
so that a change of the API reaches the console's type check (`npm run build` runs tsc)."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import ROOT

GENERATOR = ROOT / "web" / "node_modules" / "openapi-typescript" / "bin" / "cli.js"


def test_the_consoles_api_types_match_docs_openapi_json() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed to build and check the web console"
    assert GENERATOR.is_file(), "web/node_modules is missing: run `bash scripts/test` (npm ci)"
    generated = subprocess.run([node, str(GENERATOR), "docs/openapi.json"], cwd=ROOT,
                               capture_output=True, text=True, check=True, timeout=120).stdout
    committed = (ROOT / "web" / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8")
    assert generated == committed, (
        "web/src/api/schema.d.ts is stale: run `npm run api` in web/, then `npm run build` "
        "(its type check shows what in the console the API change breaks) and commit both")
