"""What every connection the services open tells PostgreSQL as it starts."""

import json

import asyncpg

# UTC whatever the server's or the database's default zone: date_bin and date_trunc cut
# time into buckets and days in the session's zone, and so does a zone-less literal like
# TIMESTAMPTZ '2000-01-01'. In another zone the throughput buckets and report days shift.
SESSION_TIMEZONE = "UTC"


def server_settings(application_name: str | None = None, **more: str) -> dict[str, str]:
    """The startup parameters of a connection: its zone, its name, and `more`."""
    named = {"application_name": application_name} if application_name else {}
    return {"timezone": SESSION_TIMEZONE, **named, **more}


async def use_json_codecs(connection: asyncpg.Connection) -> None:
    """json and jsonb as Python values on an asyncpg connection (a pool's `init`)."""
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, schema="pg_catalog", encoder=json.dumps, decoder=json.loads
        )
