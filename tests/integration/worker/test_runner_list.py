"""GET /workers is bounded: a page of the registry, however many runners have reported."""

import asyncpg
import httpx
import pytest

from job_contract.bounds import DEFAULT_RUNNER_LIST, MAX_RUNNER_LIST


async def register_runners(db: asyncpg.Connection, count: int, stopped: bool = False) -> None:
    """`count` runners heard from just now, named runner-00000…, as heartbeats make them."""
    prefix = "stopped" if stopped else "runner"
    await db.execute(
        "INSERT INTO workers (worker_id, stopped_at)"
        " SELECT format('%s-%s', $2::text, to_char(n, 'FM00000')),"
        "        CASE WHEN $3 THEN now() END"
        " FROM generate_series(1, $1) AS n",
        count,
        prefix,
        stopped,
    )


async def listed(worker: httpx.AsyncClient, viewer: dict[str, str], query: str = "") -> list[str]:
    response = await worker.get(f"/workers{query}", headers=viewer)
    assert response.status_code == 200, response.text
    return [runner["worker_id"] for runner in response.json()]


async def test_the_list_stops_at_its_default_length(
    worker: httpx.AsyncClient, db: asyncpg.Connection, as_viewer: dict[str, str]
) -> None:
    await register_runners(db, DEFAULT_RUNNER_LIST + 50)

    names = await listed(worker, as_viewer)

    assert len(names) == DEFAULT_RUNNER_LIST
    assert names == sorted(names)


async def test_limit_asks_for_fewer_or_more_up_to_the_maximum(
    worker: httpx.AsyncClient, db: asyncpg.Connection, as_viewer: dict[str, str]
) -> None:
    await register_runners(db, MAX_RUNNER_LIST + 10)

    assert len(await listed(worker, as_viewer, "?limit=3")) == 3
    assert len(await listed(worker, as_viewer, f"?limit={MAX_RUNNER_LIST}")) == MAX_RUNNER_LIST


async def test_running_runners_come_before_stopped_ones_when_the_list_is_cut(
    worker: httpx.AsyncClient, db: asyncpg.Connection, as_viewer: dict[str, str]
) -> None:
    await register_runners(db, 5, stopped=True)
    await register_runners(db, 2)

    assert await listed(worker, as_viewer, "?limit=3") == [
        "runner-00001",
        "runner-00002",
        "stopped-00001",
    ]


@pytest.mark.parametrize("limit", ["0", str(MAX_RUNNER_LIST + 1), "all", "9" * 5000])
async def test_a_limit_out_of_bounds_is_refused_naming_it(
    worker: httpx.AsyncClient, as_viewer: dict[str, str], limit: str
) -> None:
    response = await worker.get("/workers", params={"limit": limit}, headers=as_viewer)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


async def test_unknown_parameters_are_refused(
    worker: httpx.AsyncClient, as_viewer: dict[str, str]
) -> None:
    response = await worker.get("/workers?status=down", headers=as_viewer)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status"]
