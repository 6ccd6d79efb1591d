"""/jobs/new: fields from each type's JSON Schema, errors beside fields, then the job's page."""

import re

import httpx
import pytest

from tests.frontend.arrange import RESIZE_IMAGE, email_form, register_type

FIELDS = {"HX-Request": "true", "HX-Target": "payload-fields"}


async def test_each_type_gets_inputs_for_its_payload(web: httpx.AsyncClient) -> None:
    email = (await web.get("/jobs/new")).text
    report = (await web.get("/jobs/new?type=report")).text
    notification = (await web.get("/jobs/new?type=notification")).text

    assert '<input type="email" id="field-payload-to" name="payload.to" required' in email
    assert re.search(
        r'<textarea id="field-payload-body" name="payload.body"[^>]*maxlength="10000"', email
    )
    assert '<select id="field-payload-report-type" name="payload.report_type"' in report
    assert '<option value="jobs_summary">jobs summary</option>' in report
    assert 'type="date" id="field-payload-date-range-start"' in report
    assert 'type="date" id="field-payload-date-range-end"' in report
    assert '<option value="sms">sms</option>' in notification
    assert 'name="scheduled_for"' in notification and 'type="datetime-local"' in notification
    assert '<label for="field-payload-to">To</label>' in email  # every input has its label


async def test_choosing_a_type_swaps_only_the_payload_fields(web: httpx.AsyncClient) -> None:
    response = await web.get("/jobs/new?type=report", headers=FIELDS)

    assert response.text.lstrip().startswith('<fieldset id="payload-fields"')
    assert "payload.date_range.start" in response.text
    assert 'name="priority"' not in response.text


async def test_a_valid_form_creates_the_job_and_goes_to_its_page(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    response = await web.post("/jobs/new", data=email_form(scheduled_for="2030-01-02T03:04"))

    assert response.status_code == 303
    job = (await api.get(response.headers["location"])).json()
    assert job["payload"] == {"to": "ada@example.com", "subject": "Welcome", "body": "Hello Ada"}
    assert job["priority"] == 4
    assert job["scheduled_for"] == "2030-01-02T03:04:00Z"


async def test_api_errors_sit_beside_their_fields_and_values_are_kept(
    web: httpx.AsyncClient,
) -> None:
    response = await web.post(
        "/jobs/new", data=email_form(**{"payload.to": "not-an-address", "payload.subject": ""})
    )

    page = response.text
    assert response.status_code == 422
    assert response.headers["HX-Push-Url"] == "false"
    to_field = page[page.index('<label for="field-payload-to">') :]
    assert to_field.index('id="field-payload-to-error"') < to_field.index('name="payload.to"')
    assert "not a valid email address" in to_field[: to_field.index('name="payload.to"')]
    assert (
        'aria-invalid="true" aria-describedby="field-payload-to-hint field-payload-to-error"'
        in page
    )
    assert 'value="not-an-address"' in page
    assert ">Hello Ada</textarea>" in page
    assert (
        '<p class="field-error" id="field-payload-subject-error">This field is required.</p>'
        in page
    )
    assert 'href="#field-payload-subject"' in page  # the summary links to the field


async def test_a_date_range_error_is_shown_on_the_range(web: httpx.AsyncClient) -> None:
    form = {
        "type": "report",
        "payload.report_type": "failures",
        "payload.format": "csv",
        "payload.date_range.start": "2026-11-20",
        "payload.date_range.end": "2026-11-01",
        "priority": "3",
    }

    page = (await web.post("/jobs/new", data=form)).text

    error = '<p class="field-error" id="field-payload-date-range-error">'
    assert f"{error}Start must be on or before end.</p>" in page
    assert 'value="2026-11-20"' in page and '<option value="failures" selected>' in page


async def test_sending_the_same_form_twice_creates_one_job(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    form = email_form(idempotency_key="form-4f1c")

    first = await web.post("/jobs/new", data=form)
    second = await web.post("/jobs/new", data=form)

    assert first.headers["location"] == second.headers["location"]
    assert (await api.get("/jobs")).json()["total"] == 1


@pytest.fixture
async def resize_image(api: httpx.AsyncClient) -> str:
    """A custom type registered for one test (clean_db removed the earlier tests' types)."""
    await register_type(api, "resize_image", RESIZE_IMAGE, "Resize an image")
    return "resize_image"


def resize_form(**overrides: str) -> dict[str, str]:
    return {
        "type": "resize_image",
        "payload.url": "https://example.com/cat.png",
        "payload.width": "640",
        "payload.quality": "0.5",
        "payload.format": "png",
        "payload.sharpen": "on",
        "payload.taken_on": "2026-11-01",
        "payload.crop.x": "3",
        "payload.crop.y": "4",
        "payload.tags": '["cats"]',
        "priority": "3",
        "concurrency_key": "customer-7",
        **overrides,
    }


async def test_a_custom_types_form_creates_its_job_with_typed_values(
    web: httpx.AsyncClient, api: httpx.AsyncClient, resize_image: str
) -> None:
    page = (await web.get(f"/jobs/new?type={resize_image}")).text
    assert 'type="checkbox" id="field-payload-sharpen"' in page
    assert 'id="field-payload-width" name="payload.width" required' in page

    response = await web.post("/jobs/new", data=resize_form())

    assert response.status_code == 303
    job = (await api.get(response.headers["location"])).json()
    assert (job["type"], job["concurrency_key"]) == ("resize_image", "customer-7")
    assert job["payload"] == {
        "url": "https://example.com/cat.png",
        "width": 640,
        "quality": 0.5,
        "format": "png",
        "sharpen": True,
        "taken_on": "2026-11-01",
        "crop": {"x": 3, "y": 4},
        "tags": ["cats"],
    }


async def test_a_custom_types_schema_errors_sit_beside_their_fields(
    web: httpx.AsyncClient, api: httpx.AsyncClient, resize_image: str
) -> None:
    form = resize_form(
        **{"payload.width": "0", "payload.crop.y": "", "payload.tags": '["cats", 5]'}
    )

    response = await web.post("/jobs/new", data=form)

    page = response.text
    assert response.status_code == 422
    for field in ("payload-width", "payload-crop-y", "payload-tags"):
        assert f'<p class="field-error" id="field-{field}-error">' in page, field
    assert 'href="#field-payload-crop-y">Crop y:' in page
    assert ">[&#34;cats&#34;, 5]</textarea>" in page  # kept as typed
    assert (await api.get("/jobs")).json()["total"] == 0
