""".env.example read the way the tests compare it with code, manifests and the README."""

import re
from pathlib import Path

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def env_example_sections() -> dict[str, dict[str, str | None]]:
    """Keys of .env.example by section, with their values; None for a commented-out
    `# KEY=example`, which documents a setting that is unset by default."""
    sections: dict[str, dict[str, str | None]] = {}
    current = sections.setdefault("", {})
    for line in ENV_EXAMPLE.read_text().splitlines():
        if header := re.match(r"# --- (.+?) ---$", line):
            current = sections.setdefault(header.group(1), {})
        elif active := re.match(r"([A-Z][A-Z0-9_]*)=(.*)$", line):
            current[active.group(1)] = active.group(2)
        elif unset := re.match(r"# ([A-Z][A-Z0-9_]*)=", line):
            current[unset.group(1)] = None
    return sections


def env_example_keys() -> dict[str, str | None]:
    return {key: value for keys in env_example_sections().values() for key, value in keys.items()}
