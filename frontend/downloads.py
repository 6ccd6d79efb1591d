"""A report's file as the dashboard hands it on: a name any browser can take, and headers
that keep the browser from running or sniffing it.

The name comes from the producer API's Content-Disposition; it is read (RFC 6266:
`filename*` wins over `filename`), cleaned again and written back as both.
"""

import re
import unicodedata
from urllib.parse import quote, unquote

# A file, never a page: not sniffed into HTML, and nothing in it may run even if opened.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
MAX_FILENAME_CHARS = 200

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


def _ascii_fallback(name: str) -> str:
    # For the few clients that ignore filename*: printable ASCII only, no quoting needed.
    return "".join(char if " " <= char <= "~" and char not in '"\\%' else "_" for char in name)


def attachment(filename: str) -> str:
    """`attachment; filename="…"; filename*=UTF-8''…` for a name cleaned by safe_filename."""
    plain, encoded = _ascii_fallback(filename), quote(filename, safe="")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"
