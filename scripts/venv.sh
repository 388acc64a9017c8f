# Sourced by scripts/run and scripts/test: create .venv if needed and install the project into it.
# Only Python 3.11+ and git are assumed; the virtual environment keeps installs out of the system
# Python (which may refuse them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: Prompt Engine needs Python 3.11 or newer as '$PYTHON' (set PYTHON=/path/to/python3.11)" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv; then
        echo "error: could not create .venv; on Debian or Ubuntu install python3-venv first" >&2
        exit 2
    fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[${EXTRAS:-test}]"
# Byte-compile the project's own modules: where PYTHONDONTWRITEBYTECODE is set nothing else writes
# them, and every command would compile them again at start (a tenth of a second for `serve`).
.venv/bin/python -m compileall -q promptctl server
