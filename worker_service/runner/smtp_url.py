"""SMTP_URL: where and how runners send mail, parsed once when the settings are read."""

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from jobdeck_runtime.settings import redact_password


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to connect, read from SMTP_URL."""

    hostname: str
    port: int | None  # None: aiosmtplib's default for the TLS mode (465, 587 or 25)
    username: str | None
    password: str | None
    use_tls: bool  # smtps://: TLS from the first byte
    start_tls: bool | None  # None: upgrade when the server offers STARTTLS


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://user:pass@host:port, smtps:// for implicit TLS, `?starttls=1|0` to insist
    on (or forbid) STARTTLS. User and password may be %-encoded."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError(
            f"SMTP_URL must look like smtp://user:pass@host:port, not {redact_password(url)!r}"
        )
    try:
        port = parts.port
    except ValueError:
        shown = redact_password(url)
        raise ValueError(
            f"SMTP_URL has no valid port number: {shown!r} (a password holding / ? # or @"
            " must be %-encoded)"
        ) from None
    use_tls = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", [None])[-1]
    return SmtpServer(
        hostname=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=use_tls,
        start_tls=False if use_tls else _flag(starttls),
    )


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.lower() in {"1", "true", "yes", "on"}
