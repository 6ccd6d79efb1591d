"""Reading a process's settings, failing fast with one line that names each bad variable."""

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

Loaded = TypeVar("Loaded")


def load_settings(settings_class: Callable[[], Loaded]) -> Loaded:
    """Read a service's settings, or stop at once with one line naming each bad variable."""
    try:
        return settings_class()
    except ValidationError as error:
        problems = "; ".join(
            f"{'_'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            f" (got {problem['input']!r})"
            for problem in error.errors(include_url=False)
        )
        raise SystemExit(f"Invalid settings: {problems}") from None
