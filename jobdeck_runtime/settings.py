"""Reading a process's settings, failing fast with one line that names each bad variable."""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

Loaded = TypeVar("Loaded")

# A setting whose name says it holds a secret is never echoed back, even when it is wrong.
# (a webhook URL carries its credential in its path: Slack's, say).
_SECRET_WORDS = ("token", "secret", "password", "key", "webhook")


def load_settings(settings_class: Callable[[], Loaded]) -> Loaded:
    """Read a service's settings, or stop at once with one line naming each bad variable."""
    try:
        return settings_class()
    except ValidationError as error:
        problems = "; ".join(_describe(problem) for problem in error.errors(include_url=False))
        raise SystemExit(f"Invalid settings: {problems}") from None


def _describe(problem: Any) -> str:
    name = "_".join(str(part) for part in problem["loc"]).upper()
    if problem["type"] == "missing":
        return f"{name} is required"
    return f"{name}: {problem['msg']} (got {_shown(name, problem['input'])})"


def _shown(name: str, value: object) -> str:
    """The value as the error line may show it: secrets hidden, URL passwords masked."""
    if any(word in name.lower() for word in _SECRET_WORDS):
        return "a value that is not shown"
    if isinstance(value, str) and "@" in value:
        return repr(redact_password(value))
    return repr(value)


def redact_password(url: str) -> str:
    """scheme://user:***@host/…: the URL with its password (if any) masked.

    Not urlsplit's reading: the credentials run to the last "@", so a password with an
    unencoded `/`, `?` or `#` (which ends urlsplit's address part early) is masked whole, and
    so is one in a URL that has no scheme."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    credentials, at, address = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{separator}{user}:***@{address}"
