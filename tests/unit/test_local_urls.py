"""The dashboard sends browsers only to its own pages, whatever a request says."""

import pytest
from starlette.requests import Request

from frontend.local_urls import current_page, local_path, login_url, requested_page


def request(path: str = "/", query: bytes = b"", **headers: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query,
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        }
    )


@pytest.mark.parametrize("path", ["/", "/jobs", "/jobs?status=failed&page=2", "/jobs/new#x"])
def test_a_path_on_this_site_is_kept(path: str) -> None:
    assert local_path(path) == path


@pytest.mark.parametrize(
    "candidate",
    [
        None,
        "",
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example/jobs",
        "/\t/evil.example",  # browsers drop the tab: "//evil.example"
        "/\n/evil.example",
        "/jobs\x00",
    ],
)
def test_anything_that_could_lead_elsewhere_is_refused(candidate: str | None) -> None:
    assert local_path(candidate) is None


def test_the_current_page_is_taken_from_htmx_when_it_is_ours() -> None:
    ours = request(**{"Host": "127.0.0.1:3001", "HX-Current-URL": "http://127.0.0.1:3001/jobs?q=x"})
    theirs = request(**{"Host": "127.0.0.1:3001", "HX-Current-URL": "https://evil.example/jobs"})
    broken = request(**{"Host": "127.0.0.1:3001", "HX-Current-URL": "http://[::1"})

    assert current_page(ours) == "/jobs?q=x"
    assert current_page(theirs) is None
    assert current_page(broken) is None
    assert current_page(request()) is None


def test_the_requested_page_is_refused_when_its_path_names_another_host() -> None:
    assert requested_page(request("/jobs", b"page=2")) == "/jobs?page=2"
    assert requested_page(request("//evil.example/")) is None


def test_the_login_url_carries_where_to_go_back_and_why() -> None:
    assert login_url() == "/login"
    assert login_url("/jobs?page=2", "ended") == "/login?next=%2Fjobs%3Fpage%3D2&reason=ended"
