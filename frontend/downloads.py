"""A report's file as the dashboard hands it on: the name the producer API gave it, read
back from its Content-Disposition (RFC 6266: `filename*` wins over `filename`) and cleaned
again; job_contract.artifacts.download_headers writes it out with the safety headers.
"""

import re
import unicodedata
from urllib.parse import unquote

from job_contract.bounds import MAX_FILENAME_CHARS

_EXTENDED = re.compile(r"filename\*\s*=\s*([A-Za-z0-9_-]+)'[^']*'([^;\s]+)", re.IGNORECASE)
_QUOTED = re.compile(r'(?<![*\w])filename\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_BARE = re.compile(r'(?<![*\w])filename\s*=\s*([^";\s]+)', re.IGNORECASE)


def filename_of(content_disposition: str | None) -> str | None:
    """The file name a Content-Disposition header gives, or None."""
    if not content_disposition:
        return None
    if extended := _EXTENDED.search(content_disposition):
        charset, encoded = extended.groups()
        try:
            return unquote(encoded, encoding=charset, errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass  # a charset we cannot read: the plain name, if any, will do
    if quoted := _QUOTED.search(content_disposition):
        return re.sub(r"\\(.)", r"\1", quoted.group(1))
    if bare := _BARE.search(content_disposition):
        return bare.group(1)
    return None


def safe_filename(name: str | None, fallback: str) -> str:
    """`name` without folders, control characters or quotes, bounded; else `fallback`."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        char for char in name if unicodedata.category(char)[0] != "C" and char not in '"'
    )
    name = name.strip(" .")[:MAX_FILENAME_CHARS]
    return name or fallback
