# Sourced by scripts/test after venv.sh: what the desktop app's tests (tests/desktop/) need from
# the system. The app's own packages (PySide6, keyring, python-xlib) come with the `desktop`
# extra; its tests also drive an X server (Xvfb), type with xdotool, keep the key in a real
# keychain (GNOME Keyring's Secret Service on a D-Bus session bus), and Qt WebEngine needs the
# X and graphics libraries below. As root with apt-get they are installed once; otherwise the
# tests are skipped, saying what to install.

DESKTOP_COMMANDS="Xvfb xdotool gnome-keyring-daemon dbus-run-session"
DESKTOP_PACKAGES="xvfb xdotool gnome-keyring dbus-daemon libegl1 libgl1 libgbm1 libasound2
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
    libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbfile1 libnss3 libxcomposite1
    libxdamage1 libxtst6 libxrandr2 libfontconfig1 libdbus-1-3"

desktop_missing() {
    local name
    for name in $DESKTOP_COMMANDS; do
        command -v "$name" >/dev/null 2>&1 || { echo "$name"; return; }
    done
    # Qt's X11 platform plugin and WebEngine: a library they link that is not installed.
    local qt
    qt=$(echo .venv/lib/python3*/site-packages/PySide6/Qt)
    [ -d "$qt" ] || return 0
    ldd "$qt/plugins/platforms/libqxcb.so" "$qt/lib/libQt6WebEngineCore.so.6" 2>/dev/null \
        | awk '/not found/ {print $1; exit}'
}

desktop_system() {
    local missing
    missing=$(desktop_missing)
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Xvfb, xdotool, GNOME Keyring and Qt WebEngine's libraries with apt-get, for the desktop app's tests ($missing is missing)" >&2
        # shellcheck disable=SC2086 # the list is split on purpose
        if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $DESKTOP_PACKAGES; } >&2; then
            echo "error: apt-get install of the desktop test packages failed (see above); fix it and run this again" >&2
            exit 1
        fi
    else
        echo "note: $missing is missing and this is not root, so the desktop app's tests are skipped; install once with: sudo apt-get install -y" $DESKTOP_PACKAGES >&2
    fi
}
