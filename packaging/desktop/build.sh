#!/usr/bin/env bash
# The desktop app's Linux package: PyInstaller's one-folder build of promptctl desktop
# (packaging/desktop/prompt-engine.spec), the .desktop entry beside it, and a tarball that
# unpacks into /opt/prompt-engine (or anywhere): see docs/desktop.md. Run from any directory,
# with .venv set up (bash scripts/test does). DIST=... picks the output folder (default dist/);
# DESKTOP_REDUCED=1 builds without Qt WebEngine (what the test builds: quick, and it still runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIST=${DIST:-dist}
WORK=${WORK:-build/pyinstaller}
.venv/bin/pyinstaller --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" \
    packaging/desktop/prompt-engine.spec
cp packaging/desktop/prompt-engine.desktop "$DIST/prompt-engine/"
tar -C "$DIST" -czf "$DIST/prompt-engine-linux-$(uname -m).tar.gz" prompt-engine
echo "Built $DIST/prompt-engine/prompt-engine and $DIST/prompt-engine-linux-$(uname -m).tar.gz" >&2
