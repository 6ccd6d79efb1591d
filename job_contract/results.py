"""A job's result as PostgreSQL can store it: JSON of bounded size, with no NUL character and
no NaN or Infinity (jsonb refuses both, and the request would fail there, as a 500).

Checked on the JSON text the database is sent, which is made here once: json.dumps (in C)
finds the non-finite numbers, one substring search the NULs, and its length is the size.
"""

import json
import re
from typing import Any

from pydantic_core import PydanticCustomError

# A `\u0000` escape that is not itself an escaped backslash followed by "u0000".
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")

# Made once: json.dumps with options would build an encoder per call, at a third more cost.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))

# The key of pydantic's validation context that carries the worker service's MAX_RESULT_BYTES.
MAX_RESULT_BYTES_KEY = "max_result_bytes"


def storable_json(result: dict[str, Any], max_bytes: int) -> str:
    """The result as the JSON text to store, or a refusal saying why it cannot be stored
    (a PydanticCustomError, which is a ValueError)."""
    try:
        text = _ENCODER.encode(result)
    except (ValueError, TypeError) as error:
        if "float" in str(error):  # "Out of range float values are not JSON compliant"
            raise _unstorable("must hold only finite numbers (no NaN or Infinity)") from None
        raise _unstorable(f"must be JSON: {error}") from None
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise _unstorable("must not contain NUL (\\u0000) characters")
    size = len(text) if text.isascii() else len(text.encode())
    if size > max_bytes:
        raise _unstorable(f"must be at most {max_bytes} bytes as JSON; it is {size}")
    return text


def _unstorable(message: str) -> PydanticCustomError:
    return PydanticCustomError("result_unstorable", message)
