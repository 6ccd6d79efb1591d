"""Runners on /workers (and /) from the real worker service, or a calm note when it cannot be
reached."""

from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from jobdeck_access.roles import Role
from tests.factories import create_jobs, email_job
from tests.frontend.arrange import dashboard, signed_in


@pytest.fixture(scope="module")
def frontend_with_runners_url(producer_url: str, worker_url: str) -> Iterator[str]:
    with dashboard(producer_url, worker_url) as base_url:
        yield base_url


@pytest.fixture
async def web_with_runners(
    frontend_with_runners_url: str, tokens: dict[Role, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(frontend_with_runners_url, tokens[Role.VIEWER]) as client:
        yield client


async def arrange_runners(
    api: httpx.AsyncClient, worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """One busy runner holding three jobs, one idle, one silent for 14 minutes."""
    await create_jobs(api, [email_job() for _ in range(3)])
    held = (await worker.post("/process?worker_id=runner-7f3a&limit=3")).json()["jobs"]
    await worker.post(
        "/workers/runner-7f3a/heartbeat", json={"jobs": [j["id"] for j in held], "processed": 1284}
    )
    await worker.post("/workers/runner-c912/heartbeat", json={"processed": 977})
    await worker.post("/workers/runner-0e41/heartbeat", json={"processed": 12})
    await db.execute(
        """UPDATE workers SET last_heartbeat_at = now() - interval '14 minutes'
           WHERE worker_id = 'runner-0e41'"""
    )


async def test_runners_are_listed_with_status_and_heartbeat_age(
    web_with_runners: httpx.AsyncClient,
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    db: asyncpg.Connection,
) -> None:
    await arrange_runners(api, worker, db)

    page = (await web_with_runners.get("/workers")).text

    assert '<td class="mono">runner-7f3a</td>' in page
    assert '<span class="badge badge-runner-active">active</span>' in page
    assert '<span class="badge badge-runner-idle">idle</span>' in page
    assert '<span class="badge badge-runner-down">down</span>' in page
    assert "14 min ago" in page
    assert '<td class="num">1,284</td>' in page
    assert '<td class="num">3</td>' in page  # jobs in flight


@pytest.mark.parametrize("path", ["/", "/workers"])
async def test_an_unreachable_worker_service_is_a_note_not_an_error(
    web: httpx.AsyncClient, path: str
) -> None:
    response = await web.get(path)

    assert response.status_code == 200
    assert "Worker service unreachable" in response.text


async def test_the_runner_list_refreshes_itself(web: httpx.AsyncClient) -> None:
    fragment = (
        await web.get("/workers", headers={"HX-Request": "true", "HX-Target": "runners"})
    ).text

    assert fragment.lstrip().startswith('<section id="runners"')
    assert 'hx-get="/workers"' in fragment
