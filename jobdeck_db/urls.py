"""Turn the one DATABASE_URL setting into what each driver wants."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jobdeck_runtime.startup import StartupRefused

_ACCEPTED_SCHEMES = ("postgresql", "postgres")


class InvalidDatabaseUrl(StartupRefused, ValueError):
    """DATABASE_URL must look like postgresql://user:password@host:port/dbname."""


def validate(url: str) -> str:
    """Return the URL with the canonical `postgresql` scheme, or raise naming the problem."""
    parts = urlsplit(url)
    if parts.scheme not in _ACCEPTED_SCHEMES:
        raise InvalidDatabaseUrl(
            f"DATABASE_URL must start with postgresql:// (got {parts.scheme or 'no'} scheme)"
        )
    if not parts.path.strip("/"):
        raise InvalidDatabaseUrl("DATABASE_URL must name a database: postgresql://…/dbname")
    return urlunsplit(parts._replace(scheme="postgresql"))


def for_sqlalchemy(url: str) -> str:
    """SQLAlchemy picks its driver from the scheme and hands the query to asyncpg.connect()
    as keywords: libpq's `?host=` is one of them, but libpq's `?sslmode=` is asyncpg's `ssl`
    (which asyncpg's own URL parser, used everywhere else here, does not accept)."""
    parts = urlsplit(validate(url))
    query = [("ssl" if key == "sslmode" else key, value) for key, value in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg", query=urlencode(query, safe="/")))


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database (tests create their own)."""
    return urlunsplit(urlsplit(validate(url))._replace(path=f"/{database}"))


def database_name(url: str) -> str:
    return urlsplit(validate(url)).path.strip("/")
