"""/schedules through the producer API (SPEC, section Schedules): create, read, change, delete,
run now; the job template checked exactly like POST /jobs; 422s naming the field; roles.
Firing on the clock is the worker service's (tests/integration/worker/test_scheduler.py)."""

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from jobdeck_access.roles import Role
from tests.access import bearer
from tests.cli import jobdeck as run_jobdeck
from tests.factories import (
    create_schedule,
    custom_job,
    email_job,
    register_type,
    schedule,
)

ZONE = ZoneInfo("Europe/Berlin")


def locations(response: httpx.Response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


def parsed(moments: list[str]) -> list[datetime]:
    return [datetime.fromisoformat(moment) for moment in moments]


async def test_a_schedule_is_created_with_its_next_five_runs(api: httpx.AsyncClient) -> None:
    before = datetime.now(UTC)
    body = schedule(name="nightly", cron="30 2 * * *", timezone="Europe/Berlin")

    created = await create_schedule(api, body)

    assert created["name"] == "nightly"
    assert created["description"] == "At 02:30"
    assert created["enabled"] is True
    assert created["last_job"] is None
    runs = parsed(created["next_runs"])
    assert len(runs) == 5
    assert all(run.utcoffset() == timedelta(0) for run in runs)  # answered in UTC
    assert before < runs[0] <= before + timedelta(days=1, hours=1)
    assert all(run.astimezone(ZONE).strftime("%H:%M") in ("02:30", "03:00") for run in runs)
    assert (await api.get("/schedules/nightly")).json() == created
    assert (await api.get("/schedules")).json()["schedules"] == [created]


async def test_the_job_template_is_stored_as_post_jobs_would_store_it(
    api: httpx.AsyncClient,
) -> None:
    job = email_job(priority=5, payload={"to": "Ada@Example.COM"}, concurrency_key="ada")

    created = await create_schedule(api, schedule(job=job))

    assert created["job"]["type"] == "email"
    assert created["job"]["priority"] == 5
    assert created["job"]["concurrency_key"] == "ada"
    # Normalised by the e-mail payload model, as POST /jobs normalises it.
    assert created["job"]["payload"]["to"] == "Ada@example.com"
    assert "scheduled_for" not in created["job"]


async def test_a_taken_name_is_refused_409(api: httpx.AsyncClient) -> None:
    await create_schedule(api)

    response = await api.post("/schedules", json=schedule(cron="0 * * * *"))

    assert response.status_code == 409
    assert "digest" in response.json()["detail"]


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"cron": "61 * * * *"}, ["body", "cron"]),
        ({"cron": "* * *"}, ["body", "cron"]),
        ({"timezone": "Mars/Olympus"}, ["body", "timezone"]),
        ({"name": "Has Spaces"}, ["body", "name"]),
        ({"name": "a.b"}, ["body", "name"]),
        ({"job": email_job(payload={"to": "not-an-address"})}, ["body", "job", "payload", "to"]),
        ({"job": {"type": "no_such_type", "payload": {}}}, ["body", "job", "type"]),
        ({"job": email_job(priority=9)}, ["body", "job", "priority"]),
        (
            {"job": email_job(scheduled_for="2031-01-01T00:00:00Z")},
            ["body", "job", "scheduled_for"],
        ),
    ],
)
async def test_an_invalid_schedule_is_refused_422_naming_the_field(
    api: httpx.AsyncClient, overrides: dict[str, Any], where: list[Any]
) -> None:
    response = await api.post("/schedules", json=schedule(**overrides))

    assert response.status_code == 422, response.text
    assert where in locations(response)
    assert (await api.get("/schedules")).json()["schedules"] == []  # nothing half-written


async def test_every_fault_is_named_at_once(api: httpx.AsyncClient) -> None:
    body = schedule(cron="99 * * * *", timezone="Nowhere/Land", job=email_job(payload={"to": 1}))

    response = await api.post("/schedules", json=body)

    assert response.status_code == 422
    named = locations(response)
    assert ["body", "cron"] in named
    assert ["body", "timezone"] in named
    assert ["body", "job", "payload", "to"] in named


async def test_a_custom_types_template_is_checked_against_its_schema(
    api: httpx.AsyncClient,
) -> None:
    await register_type(api)

    refused = await api.post("/schedules", json=schedule(job=custom_job(payload={"width": "wide"})))
    accepted = await api.post("/schedules", json=schedule(job=custom_job()))

    assert refused.status_code == 422
    assert ["body", "job", "payload", "width"] in locations(refused)
    assert accepted.status_code == 201, accepted.text


async def test_patch_changes_only_what_it_sends_and_disabling_clears_next_runs(
    api: httpx.AsyncClient,
) -> None:
    await create_schedule(api)

    hourly = await api.patch("/schedules/digest", json={"cron": "0 * * * *"})
    disabled = await api.patch("/schedules/digest", json={"enabled": False})
    enabled = await api.patch("/schedules/digest", json={"enabled": True})

    assert hourly.status_code == 200, hourly.text
    assert hourly.json()["description"] == "Every hour"
    assert all(run.minute == 0 for run in parsed(hourly.json()["next_runs"]))
    assert hourly.json()["job"]["payload"] == schedule()["job"]["payload"]  # kept
    assert disabled.json()["enabled"] is False
    assert disabled.json()["next_runs"] == []
    assert disabled.json()["cron"] == "0 * * * *"
    assert enabled.json()["next_runs"] == hourly.json()["next_runs"]


async def test_a_new_zone_moves_the_next_runs_to_its_clock(api: httpx.AsyncClient) -> None:
    await create_schedule(api, schedule(cron="0 9 * * *"))

    moved = await api.patch("/schedules/digest", json={"timezone": "Asia/Tokyo"})

    assert moved.status_code == 200, moved.text
    # 09:00 in Tokyo (UTC+9, no DST) is midnight UTC.
    assert {(run.hour, run.minute) for run in parsed(moved.json()["next_runs"])} == {(0, 0)}


async def test_a_refused_patch_changes_nothing(api: httpx.AsyncClient) -> None:
    created = await create_schedule(api)

    response = await api.patch(
        "/schedules/digest", json={"cron": "0 0 * * *", "job": email_job(payload={"to": "x"})}
    )

    assert response.status_code == 422
    assert ["body", "job", "payload", "to"] in locations(response)
    assert (await api.get("/schedules/digest")).json() == created


async def test_patch_merges_the_job_and_null_clears_its_optional_fields(
    api: httpx.AsyncClient,
) -> None:
    hook = "https://hooks.example.com/done"
    job = email_job(priority=5, max_attempts=7, concurrency_key="ada", callback_url=hook)
    await create_schedule(api, schedule(job=job))

    cleared = await api.patch(
        "/schedules/digest",
        json={"job": {"callback_url": None, "concurrency_key": None, "max_attempts": None}},
    )
    raised = await api.patch("/schedules/digest", json={"job": {"priority": 2}})

    assert cleared.status_code == 200, cleared.text
    kept = cleared.json()["job"]
    assert kept["callback_url"] is None
    assert kept["concurrency_key"] is None
    assert kept["max_attempts"] is None  # the type's default again
    assert (kept["type"], kept["payload"], kept["priority"]) == ("email", job["payload"], 5)
    assert raised.json()["job"]["priority"] == 2
    assert raised.json()["job"]["payload"] == job["payload"]
    made = (await api.post("/schedules/digest/trigger")).json()
    assert made["callback_url"] is None
    assert made["concurrency_key"] is None
    assert made["max_attempts"] == 3


async def test_patch_with_a_new_payload_replaces_it_whole_and_keeps_the_callback(
    api: httpx.AsyncClient,
) -> None:
    hook = "https://hooks.example.com/done"
    await create_schedule(api, schedule(job=email_job(callback_url=hook)))
    payload = {"to": "bob@example.com", "subject": "Hi", "body": "Hello Bob"}

    changed = await api.patch("/schedules/digest", json={"job": {"payload": payload}})

    assert changed.status_code == 200, changed.text
    assert changed.json()["job"]["payload"] == payload
    assert changed.json()["job"]["callback_url"] == hook


async def test_patch_timezone_null_goes_back_to_utc(api: httpx.AsyncClient) -> None:
    await create_schedule(api, schedule(cron="0 9 * * *", timezone="Asia/Tokyo"))

    reset = await api.patch("/schedules/digest", json={"timezone": None})

    assert reset.status_code == 200, reset.text
    assert reset.json()["timezone"] == "UTC"
    assert {(run.hour, run.minute) for run in parsed(reset.json()["next_runs"])} == {(9, 0)}


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"cron": None}, ["body", "cron"]),
        ({"enabled": None}, ["body", "enabled"]),
        ({"job": None}, ["body", "job"]),
        ({"job": {"type": None}}, ["body", "job", "type"]),
        ({"job": {"payload": None}}, ["body", "job", "payload"]),
        ({"job": {"type": "report"}}, ["body", "job", "payload", "report_type"]),
        ({"job": {"priority": 9}}, ["body", "job", "priority"]),
        ({"job": {"callback_url": "not a url"}}, ["body", "job", "callback_url"]),
    ],
)
async def test_patch_refuses_null_for_what_a_schedule_must_have(
    api: httpx.AsyncClient, body: dict[str, Any], location: list[str]
) -> None:
    created = await create_schedule(api)

    response = await api.patch("/schedules/digest", json=body)

    assert response.status_code == 422, response.text
    assert location in locations(response)
    assert (await api.get("/schedules/digest")).json() == created


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/schedules/missing"),
        ("PATCH", "/schedules/missing"),
        ("DELETE", "/schedules/missing"),
        ("POST", "/schedules/missing/trigger"),
    ],
)
async def test_an_unknown_schedule_is_404(api: httpx.AsyncClient, method: str, path: str) -> None:
    json = {"enabled": False} if method == "PATCH" else None

    response = await api.request(method, path, json=json)

    assert response.status_code == 404
    assert response.json()["detail"] == "schedule 'missing' not found"


async def test_run_now_makes_its_job_at_once_even_when_disabled(api: httpx.AsyncClient) -> None:
    await create_schedule(api, schedule(enabled=False))

    response = await api.post("/schedules/digest/trigger")

    assert response.status_code == 201, response.text
    job = response.json()
    assert job["schedule"] == "digest"
    assert job["status"] == "pending"
    assert job["payload"] == schedule()["job"]["payload"]
    assert job["max_attempts"] == 3  # neither the template nor the type says: the default
    events = (await api.get(f"/jobs/{job['id']}")).json()["events"]
    assert [event["kind"] for event in events] == ["created"]
    assert events[0]["detail"].startswith("schedule digest, run now at ")
    shown = (await api.get("/schedules/digest")).json()["last_job"]
    assert shown["id"] == job["id"]
    assert shown["status"] == "pending"


async def test_jobs_can_be_listed_by_the_schedule_that_made_them(api: httpx.AsyncClient) -> None:
    await create_schedule(api)
    await create_schedule(api, schedule(name="other"))
    made = [(await api.post("/schedules/digest/trigger")).json()["id"] for _ in range(2)]
    await api.post("/schedules/other/trigger")
    await api.post("/jobs", json=email_job())

    page = (await api.get("/jobs", params={"schedule": "digest"})).json()

    assert sorted(job["id"] for job in page["items"]) == sorted(made)
    assert page["total"] == 2
    assert (await api.get("/jobs", params={"schedule": "Bad Name"})).status_code == 422


async def test_run_now_of_a_deleted_types_schedule_is_409(api: httpx.AsyncClient) -> None:
    await register_type(api)
    await create_schedule(api, schedule(job=custom_job()))
    assert (await api.delete("/job-types/resize_image")).status_code == 204

    response = await api.post("/schedules/digest/trigger")

    assert response.status_code == 409
    assert "resize_image" in response.json()["detail"]


async def test_a_deleted_schedules_jobs_stay(api: httpx.AsyncClient) -> None:
    await create_schedule(api)
    job = (await api.post("/schedules/digest/trigger")).json()

    deleted = await api.delete("/schedules/digest")

    assert deleted.status_code == 204
    assert (await api.get("/schedules/digest")).status_code == 404
    assert (await api.get(f"/jobs/{job['id']}")).json()["schedule"] == "digest"


async def test_a_viewer_reads_schedules_and_an_operator_changes_them(
    producer_url: str, tokens: dict[Role, str]
) -> None:
    async with (
        httpx.AsyncClient(base_url=producer_url, headers=bearer(tokens[Role.VIEWER])) as viewer,
        httpx.AsyncClient(base_url=producer_url, headers=bearer(tokens[Role.OPERATOR])) as op,
    ):
        refused = await viewer.post("/schedules", json=schedule())
        created = await op.post("/schedules", json=schedule())
        listed = await viewer.get("/schedules")
        run = await viewer.post("/schedules/digest/trigger")

    assert refused.status_code == 403
    assert created.status_code == 201
    assert [s["name"] for s in listed.json()["schedules"]] == ["digest"]
    assert run.status_code == 403


async def jobdeck(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `jobdeck` command, in its own process, off the event loop."""
    return await asyncio.to_thread(run_jobdeck, database_url, *args)


async def test_the_command_line_lists_shows_disables_enables_and_triggers(
    api: httpx.AsyncClient, database_url: str
) -> None:
    created = await create_schedule(api, schedule(cron="0 9 * * *", timezone="Asia/Tokyo"))

    listed = await jobdeck(database_url, "schedules", "list")
    shown = await jobdeck(database_url, "schedules", "show", "digest")
    disabled = await jobdeck(database_url, "schedules", "disable", "digest")
    after_disable = (await api.get("/schedules/digest")).json()
    enabled = await jobdeck(database_url, "schedules", "enable", "digest")
    after_enable = (await api.get("/schedules/digest")).json()
    triggered = await jobdeck(database_url, "schedules", "trigger", "digest")

    assert listed.returncode == 0, listed.stderr
    first_run = created["next_runs"][0].replace("+00:00", "Z")
    assert f"digest\tenabled\t0 9 * * *\tAsia/Tokyo\t{first_run}\t-" in listed.stdout
    assert json.loads(shown.stdout) == created
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.startswith("digest\tdisabled\t")
    assert after_disable["enabled"] is False and after_disable["next_runs"] == []
    assert enabled.stdout.startswith("digest\tenabled\t")
    assert after_enable["next_runs"] == created["next_runs"]
    assert triggered.returncode == 0, triggered.stderr
    job = (await api.get(f"/jobs/{triggered.stdout.strip()}")).json()
    assert job["schedule"] == "digest"
    assert job["events"][0]["detail"].startswith("schedule digest, run now at ")
    assert (await api.get("/schedules/digest")).json()["last_job"]["id"] == job["id"]


async def test_the_command_line_names_an_unknown_schedule(database_url: str) -> None:
    for action in ("show", "enable", "disable", "trigger"):
        missing = await jobdeck(database_url, "schedules", action, "missing")

        assert missing.returncode == 1, action
        assert missing.stderr == "jobdeck: schedule 'missing' not found\n"
        assert missing.stdout == ""
