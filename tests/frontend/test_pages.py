"""What every page shares: full page or fragment, Vary, 404s, headers, assets, health."""

import uuid

import httpx
import pytest

from tests.factories import create_job

PAGES = ["/", "/jobs", "/jobs/new", "/types", "/workers", "/maintenance"]


def htmx(target: str | None = None, **extra: str) -> dict[str, str]:
    headers = {"HX-Request": "true", **extra}
    if target:
        headers["HX-Target"] = target
    return headers


@pytest.mark.parametrize("path", PAGES)
async def test_a_direct_visit_gets_the_whole_page(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path)

    assert response.status_code == 200
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    assert '<main id="main"' in response.text
    assert "/static/vendor/htmx.min.js" in response.text
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("path", PAGES)
async def test_htmx_navigation_gets_the_main_block_with_a_title(
    web: httpx.AsyncClient, path: str
) -> None:
    response = await web.get(path, headers=htmx("main"))

    assert response.status_code == 200
    assert response.text.startswith("<title>")
    assert "· Jobdeck</title>" in response.text
    assert "<html" not in response.text
    assert '<main id="main"' not in response.text
    assert "<h1>" in response.text
    assert "HX-Request" in response.headers["Vary"]


async def test_htmx_gets_the_block_named_after_its_target(web: httpx.AsyncClient) -> None:
    response = await web.get("/", headers=htmx("live"))

    assert response.text.lstrip().startswith('<div id="live"')
    assert "<title>" not in response.text
    assert "Overview</h1>" not in response.text


async def test_a_history_restore_gets_the_whole_page(web: httpx.AsyncClient) -> None:
    response = await web.get(
        "/jobs", headers=htmx("main", **{"HX-History-Restore-Request": "true"})
    )

    assert response.text.lstrip().lower().startswith("<!doctype html>")


async def test_an_unknown_job_is_a_404_page(web: httpx.AsyncClient) -> None:
    missing = await web.get(f"/jobs/{uuid.uuid4()}")
    malformed = await web.get("/jobs/not-a-job-id")

    for response in (missing, malformed):
        assert response.status_code == 404
        assert "Not found" in response.text
        assert '<main id="main"' in response.text


async def test_an_unknown_page_is_a_404_page(web: httpx.AsyncClient) -> None:
    response = await web.get("/no/such/page")

    assert response.status_code == 404
    assert "Page not found" in response.text


async def test_an_error_asked_for_by_htmx_replaces_the_main_content(
    web: httpx.AsyncClient,
) -> None:
    response = await web.get(f"/jobs/{uuid.uuid4()}", headers=htmx("job-status"))

    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#main"
    assert response.text.startswith("<title>Not found · Jobdeck</title>")


async def test_pages_carry_a_strict_content_security_policy(web: httpx.AsyncClient) -> None:
    response = await web.get("/")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.text  # every script is a file of ours


@pytest.mark.parametrize(
    "asset", ["/static/vendor/htmx.min.js", "/static/vendor/uPlot.iife.min.js", "/static/app.js"]
)
async def test_scripts_are_served_by_the_dashboard_itself(
    web: httpx.AsyncClient, asset: str
) -> None:
    response = await web.get(asset)

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]


async def test_health_says_whether_the_api_answers(web: httpx.AsyncClient) -> None:
    response = await web.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "producer_api": "ok"}


async def test_links_work_without_javascript(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    job = await create_job(api)

    page = (await web.get("/jobs")).text

    assert f'href="/jobs/{job["id"]}"' in page
    assert 'action="/jobs/bulk"' in page
    assert 'action="/jobs"' in page
