"""Named SQL files: where each service keeps every statement it runs.

A file holds blocks, each headed `-- name: <noun_verb>` and a one-line description; its
service loads it once and runs the blocks by name. Names are noun first, so a table's
statements sort together.
"""

import re
from pathlib import Path

_BLOCK_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def load_queries(path: Path) -> dict[str, str]:
    """Split a .sql file into {name: statement} at its `-- name:` headers."""
    parts = _BLOCK_HEADER.split(path.read_text())
    names = parts[1::2]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"{path.name} names more than one block {', '.join(duplicated)}")
    return {name: body.strip() for name, body in zip(names, parts[2::2], strict=True)}
