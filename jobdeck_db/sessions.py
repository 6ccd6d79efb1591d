"""What every connection the services open tells PostgreSQL as it starts."""

# UTC whatever the server's or the database's default zone: date_bin and date_trunc cut
# time into buckets and days in the session's zone, and so does a zone-less literal like
# TIMESTAMPTZ '2000-01-01'. In another zone the throughput buckets and report days shift.
SESSION_TIMEZONE = "UTC"


def server_settings(application_name: str | None = None, **more: str) -> dict[str, str]:
    """The startup parameters of a connection: its zone, its name, and `more`."""
    named = {"application_name": application_name} if application_name else {}
    return {"timezone": SESSION_TIMEZONE, **named, **more}
