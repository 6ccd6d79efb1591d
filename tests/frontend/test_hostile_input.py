"""What anyone can type into an address bar or a form gets a page, never a 500, and no link
the dashboard draws from it leads to another site."""

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import create_job, report_job
from tests.frontend.arrange import claim, complete, email_form

TRY_AGAIN = re.compile(r'<a class="button" href="([^"]*)">Try again</a>')
HUGE = "9" * 5000  # past int()'s 4,300-digit limit
CSV = b"status,count\ncompleted,1\n"


def try_again_link(page: str) -> str:
    found = TRY_AGAIN.search(page)
    assert found, "no Try again link"
    return found.group(1)


def raw_path(base_url: str, path: bytes) -> httpx.URL:
    """A URL whose request line carries `path` as is (httpx would read "//x" as a host)."""
    return httpx.URL(base_url).copy_with(raw_path=path)


@pytest.mark.parametrize(
    "query",
    [
        "page=²",  # "²".isdigit() is True, int("²") fails
        "limit=²",
        "page=١٢",  # Arabic-Indic digits
        f"page={HUGE}",
        f"limit={HUGE}",
        "page=999999999",  # past the last page the API lists
        "page=-1&limit=0",
    ],
)
async def test_odd_list_parameters_give_a_list_page(web: httpx.AsyncClient, query: str) -> None:
    response = await web.get(f"/jobs?{query}")

    assert response.status_code == 200
    assert "<h1>Jobs</h1>" in response.text


async def test_odd_parameters_in_a_bulk_forms_list_state_give_a_list_page(
    web: httpx.AsyncClient,
) -> None:
    response = await web.post(
        "/jobs/bulk", data={"action": "cancel", "list_query": f"page={HUGE}&limit=²"}
    )

    assert response.status_code == 200
    assert "Select at least one job first." in response.text


@pytest.mark.parametrize("path", [b"//evil.example/", b"/\\evil.example", b"//evil.example/%2e"])
async def test_try_again_on_a_404_never_leads_to_another_site(
    web: httpx.AsyncClient, frontend_url: str, path: bytes
) -> None:
    response = await web.get(raw_path(frontend_url, path))

    assert response.status_code == 404
    assert try_again_link(response.text) == "/"
    assert "evil.example" not in response.text


@pytest.mark.parametrize(
    "current_url",
    [
        "https://evil.example/jobs",
        "//evil.example/",
        "/\\evil.example",
        "http://[::1",  # not even a URL
    ],
)
async def test_try_again_after_a_failed_post_never_leads_to_another_site(
    web: httpx.AsyncClient, current_url: str
) -> None:
    response = await web.post(
        f"/jobs/{uuid.uuid4()}/cancel",
        headers={"HX-Request": "true", "HX-Current-URL": current_url},
    )

    assert response.status_code == 404
    assert try_again_link(response.text) == "/"


async def test_try_again_after_a_failed_post_goes_back_to_the_page_it_came_from(
    web: httpx.AsyncClient, frontend_url: str
) -> None:
    current_url = f"{frontend_url}/jobs?status=pending"

    response = await web.post(
        f"/jobs/{uuid.uuid4()}/cancel",
        headers={"HX-Request": "true", "HX-Current-URL": current_url},
    )

    assert try_again_link(response.text) == "/jobs?status=pending"


@pytest.mark.parametrize("key", ["報告", "form\r\nX-Injected: 1", "k" * 5000])
async def test_an_edited_idempotency_key_still_creates_the_job(
    web: httpx.AsyncClient, api: httpx.AsyncClient, key: str
) -> None:
    response = await web.post("/jobs/new", data=email_form(idempotency_key=key))

    assert response.status_code == 303
    assert (await api.get("/jobs")).json()["total"] == 1


async def finished_report(
    api: httpx.AsyncClient, worker: httpx.AsyncClient, filename: str
) -> dict[str, Any]:
    """A report job whose runner uploaded its CSV under `filename`."""
    job = await create_job(api, report_job())
    await claim(worker, job)
    upload = await worker.put(
        f"/artifacts/{job['id']}",
        params={"filename": filename, "attempt": 1},
        content=CSV,
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201, upload.text
    await complete(worker, job)
    return job


@pytest.mark.parametrize(
    ("filename", "encoded"),
    [("café.csv", "caf%C3%A9.csv"), ("報告.csv", "%E5%A0%B1%E5%91%8A.csv")],
    ids=["latin-1", "cjk"],
)
async def test_a_report_named_in_any_script_downloads_as_a_file_that_cannot_run(
    web: httpx.AsyncClient,
    api: httpx.AsyncClient,
    worker: httpx.AsyncClient,
    filename: str,
    encoded: str,
) -> None:
    job = await finished_report(api, worker, filename)

    download = await web.get(f"/jobs/{job['id']}/artifact")

    assert download.status_code == 200
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert disposition.endswith(f"; filename*=UTF-8''{encoded}")
    assert disposition.isascii()
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert download.content == CSV


@pytest.mark.parametrize("path", ["/", "/login", "/healthz"])
async def test_a_host_name_the_dashboard_does_not_answer_to_gets_400(
    web: httpx.AsyncClient, path: str
) -> None:
    # A page on evil.example that makes that name resolve to 127.0.0.1 (DNS rebinding)
    # still sends its own name.
    response = await web.get(path, headers={"Host": "evil.example"})

    assert response.status_code == 400
