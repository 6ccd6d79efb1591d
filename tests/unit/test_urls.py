"""DATABASE_URL handling."""

import pytest

from jobdeck_db import urls


def test_socket_urls_keep_their_host_query() -> None:
    url = "postgresql://postgres:@/jobdeck?host=/srv/pg"

    assert urls.for_sqlalchemy(url) == "postgresql+asyncpg://postgres:@/jobdeck?host=/srv/pg"
    assert urls.with_database(url, "other") == "postgresql://postgres:@/other?host=/srv/pg"


def test_postgres_scheme_is_accepted_as_an_alias() -> None:
    assert urls.validate("postgres://u:p@db:5432/jobs") == "postgresql://u:p@db:5432/jobs"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://localhost/jobs", "must start with postgresql://"),
        ("localhost:5432/jobs", "must start with postgresql://"),
        ("postgresql://localhost:5432", "must name a database"),
    ],
)
def test_bad_urls_are_refused_naming_the_setting(url: str, message: str) -> None:
    with pytest.raises(urls.InvalidDatabaseUrl, match=message) as error:
        urls.validate(url)

    assert "DATABASE_URL" in str(error.value)


def test_libpq_sslmode_becomes_asyncpgs_ssl_for_sqlalchemy_only() -> None:
    url = "postgresql://u:p@db:5432/jobs?sslmode=require&host=/srv/pg"

    assert (
        urls.for_sqlalchemy(url) == "postgresql+asyncpg://u:p@db:5432/jobs?ssl=require&host=/srv/pg"
    )
    assert urls.with_database(url, "other").endswith("/other?sslmode=require&host=/srv/pg")
