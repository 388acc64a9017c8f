# Sourced by scripts/run and scripts/test: create .venv if needed and install the project into it.
# Only Python 3.11+ and git are assumed; the virtual environment keeps installs out of the system
# Python (which may refuse them). The install is skipped when nothing it depends on changed
# (pyproject.toml, the extras asked for, the interpreter): the project itself is installed in
# editable mode, so changes to its code need no reinstall.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: Prompt Engine needs Python 3.11 or newer as '$PYTHON' (set PYTHON=/path/to/python3.11)" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $("$PYTHON" --version)" >&2
    if ! "$PYTHON" -m venv .venv; then
        echo "error: could not create .venv; on Debian or Ubuntu install python3-venv first" >&2
        exit 2
    fi
fi
EXTRAS=${EXTRAS:-test,desktop}
stamp=".venv/.installed"
wanted="$(.venv/bin/python --version) extras=$EXTRAS pyproject=$(sha256sum pyproject.toml | cut -c1-64)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "Installing Prompt Engine and its dependencies (.[${EXTRAS}]) into .venv; the first time takes a minute or two" >&2
    rm -f "$stamp"
    progress=off
    [ -t 2 ] && progress=on
    set +e
    .venv/bin/python -m pip install --disable-pip-version-check --progress-bar "$progress" \
        -e ".[${EXTRAS}]" 2>&1 | grep -v -e '^Requirement already satisfied' -e '^WARNING: Location' >&2
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ]; then
        echo "error: installing into .venv failed (see above); fix it and run this again" >&2
        exit 1
    fi
    echo "$wanted" > "$stamp"
    echo "Installed; the next start skips this step until pyproject.toml changes" >&2
fi
# Byte-compile the project's own modules: where PYTHONDONTWRITEBYTECODE is set nothing else writes
# them, and every command would compile them again at start (a tenth of a second for `serve`).
.venv/bin/python -m compileall -q promptctl server
