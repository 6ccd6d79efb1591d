"""When the producer API does not answer, people get a page that says so and retries."""

from collections.abc import AsyncIterator

import httpx
import pytest

from jobdeck_access.roles import Role
from tests.frontend.arrange import dashboard, nothing_listens, session_cookie


@pytest.fixture(scope="module")
async def web_without_api(tokens: dict[Role, str]) -> AsyncIterator[httpx.AsyncClient]:
    # Nobody can sign in while the API is away: the session is one made before it went.
    cookies = session_cookie(tokens[Role.ADMIN], Role.ADMIN)
    with dashboard(nothing_listens()) as url:
        async with httpx.AsyncClient(base_url=url, cookies=cookies) as client:
            yield client


@pytest.mark.parametrize(
    "path", ["/", "/jobs", "/jobs/new", "/jobs/0b6a9ad4-5f8e-4a43-9f0e-3d8c1c9f5a10"]
)
async def test_every_page_explains_that_the_api_is_down(
    web_without_api: httpx.AsyncClient, path: str
) -> None:
    response = await web_without_api.get(path)

    assert response.status_code == 503
    assert "The producer API is not answering" in response.text
    assert "Traceback" not in response.text
    assert f'href="{path}"' in response.text  # try again


async def test_the_down_page_retries_by_itself(web_without_api: httpx.AsyncClient) -> None:
    response = await web_without_api.get("/", headers={"HX-Request": "true", "HX-Target": "live"})

    assert response.status_code == 503
    assert response.headers["HX-Retarget"] == "#main"
    assert 'hx-get="/"' in response.text
    assert 'hx-target="#main"' in response.text


async def test_a_post_while_the_api_is_down_changes_nothing_and_says_why(
    web_without_api: httpx.AsyncClient,
) -> None:
    response = await web_without_api.post("/jobs/bulk", data={"action": "cancel"})

    assert response.status_code == 503


async def test_health_still_answers_and_names_the_api(web_without_api: httpx.AsyncClient) -> None:
    response = await web_without_api.get("/healthz")

    assert response.status_code == 200
    assert response.json()["producer_api"] == "unreachable"


async def test_the_runner_page_needs_no_api(web_without_api: httpx.AsyncClient) -> None:
    response = await web_without_api.get("/workers")

    assert response.status_code == 200
