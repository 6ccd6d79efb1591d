"""Where the database is: DATABASE_URL (environment or `.env`), else the embedded server."""

from pydantic_settings import BaseSettings, SettingsConfigDict

from jobdeck_db import urls


class _DatabaseSetting(BaseSettings):
    # Read like every service's settings, so alembic and `make run` agree with them.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = None


def configured_database_url() -> str | None:
    """DATABASE_URL from the environment or `.env`; None means "use the embedded server"."""
    return _DatabaseSetting().database_url or None


def database_url(configured: str | None = None) -> str:
    """The validated URL to use; starts the embedded server only when none is configured."""
    url = configured if configured is not None else configured_database_url()
    if url:
        return urls.validate(url)
    from jobdeck_db import embedded

    return embedded.ensure_running()
