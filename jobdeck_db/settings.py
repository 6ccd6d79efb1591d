"""Where the database is: DATABASE_URL, or the embedded server when it is unset."""

import os

from jobdeck_db import urls


def database_url(configured: str | None = None) -> str:
    """The validated URL to use; starts the embedded server only when none is configured."""
    url = configured if configured is not None else os.environ.get("DATABASE_URL")
    if url:
        return urls.validate(url)
    from jobdeck_db import embedded

    return embedded.ensure_running()
