"""A report's file: the content types a runner may upload it as, the names it may have, and
the headers it is downloaded with (by the producer API, and the dashboard passing it on)."""

import re
import unicodedata
from typing import Annotated
from urllib.parse import quote

from pydantic import AfterValidator, Field

from job_contract.bounds import MAX_FILENAME_CHARS
from job_contract.payloads import ReportFormat

# What each report format is uploaded and served as.
CONTENT_TYPES: dict[ReportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
# The media types an upload may declare (parameters such as charset aside), and the format
# each is: anything else could be served back as something a browser runs.
FORMAT_OF_MEDIA_TYPE: dict[str, ReportFormat] = {
    content_type.split(";")[0]: report_format
    for report_format, content_type in CONTENT_TYPES.items()
}
ACCEPTED_MEDIA_TYPES = frozenset(FORMAT_OF_MEDIA_TYPE)

# Served with every download: never sniffed into HTML, and inert if a browser shows it.
DOWNLOAD_SAFETY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}

# Path separators and quotes: a name must not climb out of a folder or out of its header.
_FORBIDDEN = frozenset('/\\"')
# What the ASCII fallback of Content-Disposition keeps; anything else becomes "_".
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9 ._()+,=@~-]")


def media_type(content_type: str | None) -> str:
    """ "text/csv" of "Text/CSV; charset=utf-8"."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_filename(name: str) -> str:
    """A file name, not a path: no separators, quotes, control or format characters (which
    could hide the real extension, as U+202E does), and not `.` or `..`."""
    if name in (".", ".."):
        raise ValueError("must be a file name, not . or ..")
    for character in name:
        if character in _FORBIDDEN:
            raise ValueError(f"must not contain {character!r}: a name, not a path or a quote")
        if unicodedata.category(character).startswith("C"):
            code = f"U+{ord(character):04X}"
            raise ValueError(f"must not contain control or format characters ({code})")
    return name


ArtifactFilename = Annotated[
    str, Field(min_length=1, max_length=MAX_FILENAME_CHARS), AfterValidator(check_filename)
]


def served_content_type(stored: str) -> str:
    """The stored content type if it is one an upload may declare, else a plain download (a
    file stored before uploads were checked)."""
    return stored if media_type(stored) in ACCEPTED_MEDIA_TYPES else "application/octet-stream"


def download_headers(filename: str) -> dict[str, str]:
    """Content-Disposition as RFC 6266 has it (an ASCII fallback for old clients, the exact
    name UTF-8 and percent-encoded in `filename*`), and the safety headers."""
    fallback = _NOT_PLAIN_ASCII.sub("_", filename).strip() or "download"
    encoded = quote(filename, safe="")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    return {"Content-Disposition": disposition, **DOWNLOAD_SAFETY_HEADERS}
