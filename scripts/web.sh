# Sourced by scripts/run and scripts/test after venv.sh: the web console's build, and the browser
# its end-to-end tests drive. Assumes Node.js and npm (any current LTS). Each step is skipped when
# nothing it depends on changed: `npm ci` runs when web/package-lock.json changed, `npm run build`
# when the console's sources did; the stamps live in .venv/ beside the Python install's.

web_sources_hash() {
    find web/src web/public web/index.html web/package.json web/package-lock.json \
        web/tsconfig.json web/vite.config.ts -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64
}

web_build() {
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        echo "error: building the web console needs Node.js and npm (on Debian or Ubuntu: apt-get install nodejs npm)" >&2
        exit 2
    fi
    if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                  process.exit(a === 20 ? (b >= 19 ? 0 : 1) : (a > 22 || (a === 22 && b >= 12)) ? 0 : 1)'; then
        echo "error: building the web console needs Node.js 20.19+ or 22.12+ (Vite's need), not $(node --version); install a current LTS from nodejs.org or your distribution's backports" >&2
        exit 2
    fi
    local installed=".venv/.web-installed" built=".venv/.web-built" wanted
    wanted="$(node --version) lock=$(sha256sum web/package-lock.json | cut -c1-64)"
    if [ ! -d web/node_modules ] || [ "$(cat "$installed" 2>/dev/null)" != "$wanted" ]; then
        echo "Installing the web console's packages (npm ci in web/, from package-lock.json)" >&2
        rm -f "$installed" "$built"
        if ! (cd web && npm ci --no-audit --no-fund --loglevel=error >&2); then
            echo "error: npm ci in web/ failed (see above); fix it and run this again" >&2
            exit 1
        fi
        echo "$wanted" > "$installed"
    fi
    wanted="$(web_sources_hash)"
    if [ ! -f server/webapp/index.html ] || [ "$(cat "$built" 2>/dev/null)" != "$wanted" ]; then
        echo "Building the web console (npm run build in web/, into server/webapp/)" >&2
        rm -f "$built"
        if ! (cd web && npm run --silent build >&2); then
            echo "error: building the web console failed (see above); fix it and run this again" >&2
            exit 1
        fi
        echo "$wanted" > "$built"
    fi
}

web_browser() {
    # Debian's Chromium: Playwright's own browser download is not used.
    [ -x /usr/bin/chromium ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Chromium with apt-get, for the web console's browser tests" >&2
        if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } >&2; then
            echo "error: apt-get install chromium failed (see above); fix it and run this again" >&2
            exit 1
        fi
    else
        echo "note: /usr/bin/chromium is absent and this is not root, so the web console's browser tests are skipped; install it once with: sudo apt-get install -y chromium" >&2
    fi
}
