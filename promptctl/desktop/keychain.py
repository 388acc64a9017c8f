"""The API key in the operating system's keychain, through ``keyring``: the Secret Service
(GNOME Keyring, KWallet) on Linux, the Keychain on macOS, the Credential Manager on Windows.

One entry per server address, so switching servers keeps each key. Never a plain file: when no
keychain answers (``keyring``'s fail backend, or a chained backend that holds nothing secure),
the key is kept for this run only and the app says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "prompt-engine"


class KeychainUnavailable(Exception):
    """No secure keychain answers; the message says which backend and what to install."""


def _backend() -> KeyringBackend:
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or "plaintext" in type(backend).__module__.lower():
        raise KeychainUnavailable(
            f"no secure keychain is available ({type(backend).__name__}); on Linux run a "
            "Secret Service such as gnome-keyring or KWallet")
    return backend


def describe() -> str:
    """The keychain in use, for the app's status line."""
    import keyring

    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def load(server: str) -> str | None:
    from keyring.errors import KeyringError

    try:
        value: str | None = _backend().get_password(SERVICE, server)
    except KeyringError as exc:
        raise KeychainUnavailable(f"the keychain cannot be read: {exc}") from None
    return value


def store(server: str, key: str) -> None:
    from keyring.errors import KeyringError

    try:
        _backend().set_password(SERVICE, server, key)
    except KeyringError as exc:
        raise KeychainUnavailable(f"the keychain refused the key: {exc}") from None


def forget(server: str) -> None:
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        _backend().delete_password(SERVICE, server)
    except PasswordDeleteError:
        pass  # nothing was stored
    except KeyringError as exc:
        raise KeychainUnavailable(f"the keychain refused to forget the key: {exc}") from None
