"""PUT, PATCH and DELETE /job-types, and jobs of custom types through POST /jobs and /jobs/batch
(SPEC, section Job types): registration, validation of schemas and payloads, controls, retiring."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from job_contract.bounds import MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.factories import create_job, custom_job, custom_type, email_job, register_type


def locations(response: httpx.Response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


def nested(depth: int) -> dict[str, Any]:
    """An object schema whose properties nest `depth` levels deep."""
    schema: dict[str, Any] = {"type": "object"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"inner": schema}}
    return schema


# --- registering ------------------------------------------------------------------------------


async def test_a_custom_type_is_created_201_then_replaced_200(api: httpx.AsyncClient) -> None:
    created = await api.put("/job-types/resize_image", json=custom_type())
    replaced = await api.put(
        "/job-types/resize_image", json=custom_type(description="Resize, then store")
    )

    assert (created.status_code, replaced.status_code) == (201, 200)
    listed = {t["name"]: t for t in (await api.get("/job-types")).json()["types"]}
    assert listed["resize_image"]["builtin"] is False
    assert listed["resize_image"]["description"] == "Resize, then store"
    assert listed["resize_image"]["schema"] == custom_type()["schema"]
    assert listed["resize_image"]["updated_at"] > created.json()["updated_at"]


async def test_the_schema_keeps_its_property_order(api: httpx.AsyncClient) -> None:
    order = ["zebra", "apple", "mango", "kiwi"]
    schema = {"type": "object", "properties": {name: {"type": "string"} for name in order}}

    await register_type(api, "fruit", {"schema": schema})

    listed = {t["name"]: t for t in (await api.get("/job-types")).json()["types"]}
    assert list(listed["fruit"]["schema"]["properties"]) == order


async def test_a_builtins_name_is_refused_409(api: httpx.AsyncClient) -> None:
    response = await api.put("/job-types/email", json=custom_type())

    assert response.status_code == 409
    assert "built-in" in response.json()["detail"]


@pytest.mark.parametrize("name", ["Resize", "1st", "with-dash", "x" * 64, "_lead"])
async def test_a_bad_name_is_refused_422(
    api: httpx.AsyncClient, db: asyncpg.Connection, name: str
) -> None:
    response = await api.put(f"/job-types/{name}", json=custom_type())

    assert response.status_code == 422
    assert locations(response) == [["path", "name"]]
    assert await db.fetchval("SELECT count(*) FROM job_types WHERE NOT builtin") == 0


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"type": "object", "properties": {"a": {"type": "string", "pattern": "(["}}}, "pattern"),
        ({"type": "objec"}, "type"),
        ({"type": "string"}, "type"),
        ({"properties": {"a": {"type": "string"}}}, "type"),
        ({"type": "object", "properties": {"a": {"minLength": "x"}}}, "minLength"),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}, "schema"),
        ({"type": "object", "$schema": "http://json-schema.org/draft-04/schema#"}, "$schema"),
        ({"type": "object", "description": "nul \u0000 inside"}, "description"),
        (nested(MAX_SCHEMA_DEPTH), "schema"),
        ({"type": "object", "description": "x" * MAX_SCHEMA_BYTES}, "schema"),
    ],
    ids=[
        "invalid-regex",
        "unknown-type-name",
        "not-an-object",
        "no-type",
        "keyword-of-wrong-type",
        "dangling-ref",
        "other-draft",
        "nul",
        "too-deep",
        "too-big",
    ],
)
async def test_an_invalid_schema_is_refused_422_naming_where(
    api: httpx.AsyncClient, db: asyncpg.Connection, schema: dict[str, Any], where: str
) -> None:
    response = await api.put("/job-types/broken", json={"schema": schema})

    assert response.status_code == 422, response.text
    (location,) = locations(response)
    assert location[:2] == ["body", "schema"]
    assert where in location, location
    assert await db.fetchval("SELECT count(*) FROM job_types WHERE NOT builtin") == 0


@pytest.mark.parametrize("body", [{"schema": []}, {"schema": "text"}, {}, {"schema": {}, "x": 1}])
async def test_a_registration_that_is_not_one_is_refused_422(
    api: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await api.put("/job-types/broken", json=body)

    assert response.status_code == 422
    assert all(location[0] == "body" for location in locations(response))


@pytest.fixture
async def listener() -> AsyncIterator[tuple[str, list[int]]]:
    """A loopback HTTP port that counts the connections it gets, for `$ref`s to point at."""
    connections: list[int] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        writer.write(b'HTTP/1.1 200 OK\r\ncontent-length: 17\r\n\r\n{"type": "object"}')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/schema.json", connections
    finally:
        server.close()
        await server.wait_closed()


async def test_a_remote_ref_is_refused_and_never_fetched(
    api: httpx.AsyncClient, listener: tuple[str, list[int]]
) -> None:
    url, connections = listener
    schema = {"type": "object", "properties": {"a": {"$ref": url}}}

    response = await api.put("/job-types/remote", json={"schema": schema})

    assert response.status_code == 422
    assert "only references inside the schema" in response.json()["detail"][0]["msg"]
    assert connections == []


async def test_a_catastrophic_regex_neither_hangs_registration_nor_validation(
    api: httpx.AsyncClient,
) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    await register_type(api, "regexy", {"schema": schema})

    response = await api.post(
        "/jobs", json={"type": "regexy", "payload": {"a": "a" * 10_000 + "!"}}, timeout=5
    )

    assert response.status_code == 422
    assert locations(response) == [["body", "payload", "a"]]


# --- jobs of custom types ---------------------------------------------------------------------


async def test_a_job_of_a_registered_type_is_created(api: httpx.AsyncClient) -> None:
    await register_type(api)

    response = await api.post("/jobs", json=custom_job(payload={"format": "webp"}))

    assert response.status_code == 201, response.text
    job = response.json()
    assert job["type"] == "resize_image"
    assert job["payload"] == {"url": "https://example.com/cat.png", "width": 640, "format": "webp"}
    assert job["max_attempts"] == 3


@pytest.mark.parametrize(
    ("payload", "location"),
    [
        ({"url": None}, ["body", "payload", "url"]),
        ({"width": "wide"}, ["body", "payload", "width"]),
        ({"width": 0}, ["body", "payload", "width"]),
        ({"format": "gif"}, ["body", "payload", "format"]),
        ({"url": "not a uri"}, ["body", "payload", "url"]),
        ({"color": "blue"}, ["body", "payload", "color"]),
        ({"url": "https://example.com/\u0000"}, ["body", "payload", "url"]),
    ],
)
async def test_a_payload_that_fails_its_schema_is_refused_naming_the_field(
    api: httpx.AsyncClient, db: asyncpg.Connection, payload: dict[str, Any], location: list[Any]
) -> None:
    await register_type(api)

    response = await api.post("/jobs", json=custom_job(payload=payload))

    assert response.status_code == 422, response.text
    assert location in locations(response)
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


async def test_a_missing_required_field_is_named(api: httpx.AsyncClient) -> None:
    await register_type(api)

    response = await api.post("/jobs", json={"type": "resize_image", "payload": {"width": 1}})

    assert response.status_code == 422
    assert locations(response) == [["body", "payload", "url"]]


@pytest.mark.parametrize(
    ("body", "location"),
    [
        (b'{"type": "resize_image", "payload": {"url": "https://e.com", "width": NaN}}', "width"),
        (
            b'{"type": "resize_image", "payload": {"url": "https://e.com", "width": 1,'
            b' "\\ud800": 1}}',
            "\ud800",
        ),
    ],
    ids=["nan", "lone-surrogate-key"],
)
async def test_values_postgresql_cannot_store_are_a_422_not_a_500(
    api: httpx.AsyncClient, body: bytes, location: str
) -> None:
    await register_type(api)

    response = await api.post("/jobs", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == location


async def test_a_deeply_nested_payload_is_refused(api: httpx.AsyncClient) -> None:
    await register_type(api, "anything", {"schema": {"type": "object"}})
    payload: dict[str, Any] = {}
    for _ in range(200):
        payload = {"a": payload}

    response = await api.post("/jobs", json={"type": "anything", "payload": payload})

    assert response.status_code == 422
    assert "nested more than" in response.json()["detail"][0]["msg"]


async def test_an_unknown_type_is_refused_on_type(api: httpx.AsyncClient) -> None:
    response = await api.post("/jobs", json=custom_job("never_registered"))

    assert response.status_code == 422
    assert locations(response) == [["body", "type"]]


async def test_a_batch_mixes_builtin_and_custom_jobs(api: httpx.AsyncClient) -> None:
    await register_type(api)

    response = await api.post("/jobs/batch", json={"jobs": [email_job(), custom_job()]})

    assert response.status_code == 201, response.text
    assert [job["type"] for job in response.json()["jobs"]] == ["email", "resize_image"]


async def test_a_batch_with_one_bad_custom_item_names_it_and_writes_nothing(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await register_type(api)
    batch = [custom_job(), custom_job(payload={"width": -1}), email_job(), custom_job("nope")]

    response = await api.post("/jobs/batch", json={"jobs": batch})

    assert response.status_code == 422
    assert locations(response) == [
        ["body", "jobs", 1, "payload", "width"],
        ["body", "jobs", 3, "type"],
    ]
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


async def test_a_replaced_schema_applies_to_the_next_job_at_once(api: httpx.AsyncClient) -> None:
    await register_type(api)
    assert (await api.post("/jobs", json=custom_job(payload={"width": 5000}))).status_code == 201
    narrower = custom_type()
    narrower["schema"]["properties"]["width"]["maximum"] = 1000

    await register_type(api, registration=narrower)

    response = await api.post("/jobs", json=custom_job(payload={"width": 5000}))
    assert response.status_code == 422
    assert locations(response) == [["body", "payload", "width"]]


async def test_an_idempotent_replay_of_a_custom_job_returns_it(api: httpx.AsyncClient) -> None:
    await register_type(api)
    headers = {"Idempotency-Key": "resize-1"}

    first = await api.post("/jobs", json=custom_job(), headers=headers)
    replay = await api.post("/jobs", json=custom_job(max_attempts=3), headers=headers)

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["id"] == first.json()["id"]


async def test_the_openapi_document_takes_any_type_name(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()

    type_field = document["components"]["schemas"]["JobCreate"]["properties"]["type"]
    assert "enum" not in type_field
    assert type_field["pattern"] == "^[a-z][a-z0-9_]{0,62}$"


# --- concurrency_key and default_max_attempts -------------------------------------------------


async def test_a_concurrency_key_is_stored_and_answered(api: httpx.AsyncClient) -> None:
    single = await create_job(api, email_job(concurrency_key="customer-42"))
    batch = await api.post("/jobs/batch", json={"jobs": [email_job(concurrency_key="c-7")]})

    assert single["concurrency_key"] == "customer-42"
    assert batch.json()["jobs"][0]["concurrency_key"] == "c-7"
    assert (await api.get(f"/jobs/{single['id']}")).json()["concurrency_key"] == "customer-42"


@pytest.mark.parametrize("key", ["", "k" * 201, "nul\u0000"])
async def test_a_bad_concurrency_key_is_refused(api: httpx.AsyncClient, key: str) -> None:
    response = await api.post("/jobs", json=email_job(concurrency_key=key))

    assert response.status_code == 422
    assert ["body", "concurrency_key"] in locations(response)


async def test_the_types_default_max_attempts_applies_unless_the_job_says(
    api: httpx.AsyncClient,
) -> None:
    await register_type(api)
    await api.patch("/job-types/resize_image", json={"default_max_attempts": 7})
    await api.patch("/job-types/email", json={"default_max_attempts": 9})

    defaulted = await create_job(api, custom_job())
    explicit = await create_job(api, custom_job(max_attempts=2))
    batch = await api.post("/jobs/batch", json={"jobs": [email_job(), email_job(max_attempts=1)]})

    assert (defaulted["max_attempts"], explicit["max_attempts"]) == (7, 2)
    assert [job["max_attempts"] for job in batch.json()["jobs"]] == [9, 1]


# --- controls ---------------------------------------------------------------------------------


async def test_patch_changes_only_what_it_sends_and_null_lifts_a_limit(
    api: httpx.AsyncClient,
) -> None:
    await register_type(api)
    first = await api.patch(
        "/job-types/resize_image",
        json={"concurrency": 5, "key_concurrency": 2, "timeout_seconds": 30.5, "paused": True},
    )

    second = await api.patch("/job-types/resize_image", json={"concurrency": None})

    assert first.status_code == second.status_code == 200
    changed = second.json()
    assert changed["concurrency"] is None
    assert (changed["key_concurrency"], changed["timeout_seconds"], changed["paused"]) == (
        2,
        30.5,
        True,
    )
    assert changed["updated_at"] > first.json()["updated_at"]
    assert changed["schema"] == custom_type()["schema"]


async def test_a_builtin_takes_controls_too(api: httpx.AsyncClient) -> None:
    response = await api.patch("/job-types/report", json={"paused": True, "concurrency": 1})

    assert response.status_code == 200
    listed = {t["name"]: t for t in (await api.get("/job-types")).json()["types"]}
    assert (listed["report"]["paused"], listed["report"]["concurrency"]) == (True, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"key_concurrency": "two"}, "key_concurrency"),
        ({"rate_limit": {"jobs": 0, "per_seconds": 1}}, "rate_limit"),
        ({"rate_limit": {"jobs": 5}}, "rate_limit"),
        ({"timeout_seconds": -1}, "timeout_seconds"),
        ({"default_max_attempts": 26}, "default_max_attempts"),
        ({"paused": None}, "paused"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_a_bad_control_is_refused_naming_it(
    api: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    response = await api.patch("/job-types/email", json=change)

    assert response.status_code == 422
    assert all(location[:2] == ["body", field] for location in locations(response))


async def test_patch_of_an_unknown_type_is_a_404(api: httpx.AsyncClient) -> None:
    response = await api.patch("/job-types/nothing_here", json={"paused": True})

    assert response.status_code == 404
    assert "nothing_here" in response.json()["detail"]


async def test_a_rate_limit_keeps_one_slot_per_job_it_allows(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    async def ring() -> list[tuple[int, bool]]:
        """The slots in the order claims will take them, and whether each was used."""
        rows = await db.fetch(
            "SELECT slot, used_at > '-infinity' AS used FROM job_type_rate_slots"
            " WHERE type = 'email' ORDER BY slot"
        )
        cursor = await db.fetchval(
            "SELECT next_slot FROM job_type_rate_cursors WHERE type = 'email'"
        )
        slots = [(row["slot"], row["used"]) for row in rows]
        return slots[cursor:] + slots[:cursor]

    await api.patch("/job-types/email", json={"rate_limit": {"jobs": 5, "per_seconds": 10}})
    assert await ring() == [(0, False), (1, False), (2, False), (3, False), (4, False)]
    # Two claims just now took the first two slots; the cursor moved past them.
    await db.execute(
        "UPDATE job_type_rate_slots SET used_at = now() - (3 - slot) * interval '1 s'"
        " WHERE type = 'email' AND slot IN (0, 1)"
    )
    await db.execute("UPDATE job_type_rate_cursors SET next_slot = 2 WHERE type = 'email'")

    lowered = await api.patch(
        "/job-types/email", json={"rate_limit": {"jobs": 2, "per_seconds": 5}}
    )

    # Lowered, the ring keeps the two used slots, and claims meet the older one first.
    assert lowered.json()["rate_limit"] == {"jobs": 2, "per_seconds": 5.0}
    used = await db.fetch(
        "SELECT used_at FROM job_type_rate_slots WHERE type = 'email' ORDER BY slot"
    )
    assert await ring() == [(0, True), (1, True)]
    assert used[0]["used_at"] < used[1]["used_at"]
    await api.patch("/job-types/email", json={"rate_limit": {"jobs": 4, "per_seconds": 5}})
    assert await ring() == [(0, False), (1, False), (2, True), (3, True)]
    await api.patch("/job-types/email", json={"paused": True})
    assert len(await ring()) == 4  # a patch without rate_limit leaves the slots alone
    await api.patch("/job-types/email", json={"rate_limit": None})
    assert await ring() == []


async def test_concurrent_registrations_and_changes_all_succeed(api: httpx.AsyncClient) -> None:
    requests = [api.put("/job-types/racy", json=custom_type()) for _ in range(8)] + [
        api.patch("/job-types/email", json={"rate_limit": {"jobs": n, "per_seconds": 1}})
        for n in range(1, 9)
    ]

    responses = await asyncio.gather(*requests)

    statuses = [response.status_code for response in responses]
    assert sorted(statuses[:8]) == [200] * 7 + [201]
    assert statuses[8:] == [200] * 8


# --- deleting ---------------------------------------------------------------------------------


async def test_a_deleted_type_leaves_the_list_takes_no_jobs_and_keeps_its_history(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await register_type(api)
    finished = await create_job(api, custom_job())
    await db.execute(
        "UPDATE jobs SET status = 'completed', completed_at = now() WHERE id = $1::uuid",
        finished["id"],
    )

    deleted = await api.delete("/job-types/resize_image")

    assert deleted.status_code == 204
    names = [t["name"] for t in (await api.get("/job-types")).json()["types"]]
    assert "resize_image" not in names
    refused = await api.post("/jobs", json=custom_job())
    assert refused.status_code == 422
    assert locations(refused) == [["body", "type"]]
    history = await api.get(f"/jobs/{finished['id']}")
    assert history.status_code == 200
    assert history.json()["type"] == "resize_image"
    listed = (await api.get("/jobs?type=resize_image")).json()
    assert [job["id"] for job in listed["items"]] == [finished["id"]]


async def test_a_job_of_a_deleted_type_is_not_retried(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await register_type(api)
    job = await create_job(api, custom_job())
    await api.delete(f"/jobs/{job['id']}")
    await api.delete("/job-types/resize_image")

    single = await api.post(f"/jobs/{job['id']}/retry")
    bulk = await api.post("/jobs/bulk", json={"action": "retry", "ids": [job["id"]]})

    assert single.status_code == 409
    assert "was deleted" in single.json()["detail"]
    assert bulk.json()["skipped"] == [
        {"id": job["id"], "reason": "its job type 'resize_image' was deleted"}
    ]
    assert await db.fetchval("SELECT status FROM jobs") == "cancelled"
    await register_type(api)
    assert (await api.post(f"/jobs/{job['id']}/retry")).json()["status"] == "pending"


async def test_a_deleted_type_is_registered_again_as_new(api: httpx.AsyncClient) -> None:
    await register_type(api)
    await api.patch("/job-types/resize_image", json={"concurrency": 2})
    await api.delete("/job-types/resize_image")

    again = await api.put("/job-types/resize_image", json=custom_type())

    assert again.status_code == 201
    assert again.json()["concurrency"] is None
    assert (await api.post("/jobs", json=custom_job())).status_code == 201


async def test_a_type_with_pending_jobs_is_not_deleted(api: httpx.AsyncClient) -> None:
    await register_type(api)
    job = await create_job(api, custom_job())

    refused = await api.delete("/job-types/resize_image")
    await api.delete(f"/jobs/{job['id']}")  # cancelled: no longer in use
    accepted = await api.delete("/job-types/resize_image")

    assert refused.status_code == 409
    assert "1 pending" in refused.json()["detail"]
    assert accepted.status_code == 204


async def test_a_type_with_a_processing_job_is_not_deleted(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await register_type(api)
    job = await create_job(api, custom_job())
    await db.execute(
        "UPDATE jobs SET status = 'processing', attempts = 1, locked_by = 'r-1',"
        " locked_until = now() + interval '1 minute' WHERE id = $1::uuid",
        job["id"],
    )

    response = await api.delete("/job-types/resize_image")

    assert response.status_code == 409
    assert "1 processing" in response.json()["detail"]


async def test_a_builtin_is_not_deleted(api: httpx.AsyncClient) -> None:
    response = await api.delete("/job-types/email")

    assert response.status_code == 409
    assert "built-in" in response.json()["detail"]


@pytest.mark.parametrize("name", ["never_was", "Bad-Name"])
async def test_deleting_what_is_not_there_is_a_404_or_422(
    api: httpx.AsyncClient, name: str
) -> None:
    response = await api.delete(f"/job-types/{name}")

    assert response.status_code == (404 if name == "never_was" else 422)


async def test_jobs_created_while_a_type_is_deleted_are_never_left_pending(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Creating and deleting race: either the delete is refused (409) or no job got in."""
    for _ in range(5):
        await register_type(api)
        creates = [api.post("/jobs", json=custom_job()) for _ in range(10)]
        responses = await asyncio.gather(*creates, api.delete("/job-types/resize_image"))
        *created, deleted = responses
        if deleted.status_code == 204:
            pending = await db.fetchval(
                "SELECT count(*) FROM jobs j JOIN job_types t ON t.name = j.type"
                " WHERE j.status = 'pending' AND t.retired_at IS NOT NULL"
            )
            assert pending == 0
        else:
            assert deleted.status_code == 409
        assert all(response.status_code in (201, 422) for response in created)
        await db.execute("UPDATE jobs SET status = 'cancelled'")
        await api.delete("/job-types/resize_image")


# --- who may ----------------------------------------------------------------------------------


SUCCESS = {"GET": 200, "PUT": 200, "PATCH": 200, "DELETE": 204}


@pytest.mark.parametrize(
    ("role", "method", "allowed"),
    [
        (Role.VIEWER, "GET", True),
        (Role.VIEWER, "PATCH", False),
        (Role.PRODUCER, "PATCH", False),
        (Role.OPERATOR, "PATCH", True),
        (Role.OPERATOR, "PUT", False),
        (Role.OPERATOR, "DELETE", False),
        (Role.ADMIN, "PUT", True),
        (Role.ADMIN, "DELETE", True),
        (Role.RUNNER, "GET", False),
    ],
)
async def test_each_role_may_do_what_the_access_table_says_to_job_types(
    producer_url: str,
    tokens: dict[Role, str],
    db: asyncpg.Connection,
    role: Role,
    method: str,
    allowed: bool,
) -> None:
    arrange = httpx.AsyncClient(base_url=producer_url, headers=bearer(tokens[Role.ADMIN]))
    async with arrange:
        await register_type(arrange)
    bodies = {"PUT": custom_type(), "PATCH": {"paused": True}}
    path = "/job-types" if method == "GET" else "/job-types/resize_image"

    async with httpx.AsyncClient(base_url=producer_url, headers=bearer(tokens[role])) as client:
        response = await client.request(method, path, json=bodies.get(method))

    assert response.status_code == (SUCCESS[method] if allowed else 403), response.text
    paused = await db.fetchval("SELECT paused FROM job_types WHERE name = 'resize_image'")
    assert paused is (method == "PATCH" and allowed)
