"""Where the dashboard may send a browser: its own pages, never another site.

Links it builds from what a request says (the sign-in page's `next`, an error page's "try
again") pass through here, since either can be written by someone else.
"""

from urllib.parse import urlencode, urlsplit

from starlette.requests import HTTPConnection

LOGIN = "/login"


def local_path(candidate: str | None) -> str | None:
    """`candidate` when it is a path on this site ("/jobs?page=2"), else None.

    To a browser "//evil.example/" and "/\\evil.example" name another host, and it drops
    tabs and newlines before it reads a URL ("/\\t/evil.example"): all of those are refused.
    """
    if not candidate or not candidate.startswith("/") or candidate[1:2] in ("/", "\\"):
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in candidate):
        return None
    return candidate


def current_page(connection: HTTPConnection) -> str | None:
    """The page the browser shows: htmx names it in HX-Current-URL (a full URL), if it is ours."""
    header = connection.headers.get("HX-Current-URL")
    if not header:
        return None
    try:
        parts = urlsplit(header)
    except ValueError:
        return None
    if parts.netloc and parts.netloc != connection.headers.get("Host"):
        return None
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def requested_page(connection: HTTPConnection) -> str | None:
    """This request's own path and query, if a browser can be sent back to it."""
    path: str = connection.scope["path"]
    query = connection.scope["query_string"].decode("latin-1")
    return local_path(path + (f"?{query}" if query else ""))


def login_url(next_path: str | None = None, reason: str | None = None) -> str:
    params = [(name, value) for name, value in (("next", next_path), ("reason", reason)) if value]
    return f"{LOGIN}?{urlencode(params)}" if params else LOGIN
