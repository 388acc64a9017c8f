#!/usr/bin/env bash
# Install promptctl for the GitHub Action (action.yml): a virtual environment at $PROMPTCTL_VENV
# with the locked dependencies (action/requirements.txt, hashes required), then promptctl itself
# from the action's own checkout, $ACTION_PATH, without a package index. The environment's bin/
# goes on $GITHUB_PATH, so later steps of the job run `promptctl`.
#
# An environment restored from the cache (keyed on the lock) already has the dependencies; only
# promptctl is installed again, so a new version of the action never runs stale code.
set -euo pipefail
: "${ACTION_PATH:?the folder of the action checkout}" "${PROMPTCTL_VENV:?where the environment goes}"
: "${GITHUB_PATH:?the file of directories added to PATH}"
PYTHON=${PYTHON:-python3}

if [ ! -x "$PROMPTCTL_VENV/bin/python" ]; then
    echo "Creating $PROMPTCTL_VENV with the locked dependencies"
    "$PYTHON" -m venv "$PROMPTCTL_VENV"
    "$PROMPTCTL_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --require-hashes --only-binary :all: -r "$ACTION_PATH/action/requirements.txt"
else
    echo "Reusing $PROMPTCTL_VENV (restored from the cache)"
fi
# Built from the checkout with the locked hatchling; --force-reinstall: a cached environment holds
# the promptctl of the run that saved it, perhaps another commit with the same version number.
"$PROMPTCTL_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
    --no-deps --no-build-isolation --force-reinstall "$ACTION_PATH"
echo "$PROMPTCTL_VENV/bin" >> "$GITHUB_PATH"
"$PROMPTCTL_VENV/bin/promptctl" --version
