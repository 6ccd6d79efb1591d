"""/types against the real producer API: each type's queue and controls, what each role may
do there, pause and limits in place (htmx) and by plain posts, registering and deleting."""

import json
from typing import Any

import httpx
import pytest

from tests.factories import create_job, notification_job
from tests.frontend.arrange import (
    RESIZE_IMAGE,
    claim,
    complete,
    fail,
    register_type,
)


def row_of(page: str, name: str) -> str:
    start = page.index(f'<tr id="type-{name}"')
    return page[start : page.index("</tr>", start)]


def swaps_row(name: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": f"type-{name}"}


async def type_info(api: httpx.AsyncClient, name: str) -> dict[str, Any]:
    types = (await api.get("/job-types")).json()["types"]
    found: dict[str, Any] = next(t for t in types if t["name"] == name)
    return found


async def test_each_type_shows_its_queue_and_last_hours_outcomes(
    web_viewer: httpx.AsyncClient, api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    for outcome in ("completed", "failed", "processing"):
        job = await create_job(api)
        await claim(worker, job)
        if outcome == "completed":
            await complete(worker, job)
        elif outcome == "failed":
            await fail(worker, job)
    await create_job(api, notification_job())

    page = (await web_viewer.get("/types")).text

    email = [cell.split(">")[-1] for cell in row_of(page, "email").split("</td>")[:4]]
    assert email == ["0", "1", "1", "1"]  # pending, processing, completed, failed
    notification = row_of(page, "notification")
    assert '<td class="num">1</td>' in notification  # its pending job
    assert "An e-mail sent through SMTP" in row_of(page, "email")  # the type's description


async def test_a_viewer_sees_the_controls_but_cannot_change_them(
    web_viewer: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await api.patch("/job-types/report", json={"paused": True, "concurrency": 5})

    page = (await web_viewer.get("/types")).text

    report = row_of(page, "report")
    assert ">paused</span>" in report and "5 at once" in report
    main = page[page.index('<main id="main"') :]
    assert "<form" not in main  # no pause, no limits editor, no register form, no delete
    assert 'href="/types"' in page  # the nav leads here


async def test_an_operator_pauses_and_resumes_in_one_click(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    page = (await web_operator.get("/types")).text
    assert 'id="pause-email"' in page and 'id="register"' not in page
    assert 'id="delete-' not in page  # deleting types is an admin's

    paused = await web_operator.post(
        "/types/email/pause", data={"paused": "yes"}, headers=swaps_row("email")
    )

    assert paused.status_code == 200
    assert paused.text.lstrip().startswith('<tr id="type-email" class="is-paused"')
    assert ">Resume</button>" in paused.text
    assert (await type_info(api, "email"))["paused"] is True

    # Without JavaScript the form posts and comes back to the page.
    resumed = await web_operator.post("/types/email/pause", data={"paused": "no"})

    assert resumed.status_code == 303 and resumed.headers["location"] == "/types#type-email"
    assert (await type_info(api, "email"))["paused"] is False


async def test_limits_change_in_place_and_blank_lifts_them(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    limits = {
        "concurrency": "5",
        "key_concurrency": "1",
        "rate_limit.jobs": "10",
        "rate_limit.per_seconds": "2.5",
        "timeout_seconds": "30",
        "default_max_attempts": "4",
    }

    row = await web_operator.post("/types/report/limits", data=limits, headers=swaps_row("report"))

    assert row.status_code == 200
    assert "5 at once · 1 at once per key · 10 per 2.5 s · timeout 30 s" in row.text
    changed = await type_info(api, "report")
    assert (changed["concurrency"], changed["key_concurrency"]) == (5, 1)
    assert changed["rate_limit"] == {"jobs": 10, "per_seconds": 2.5}
    assert (changed["timeout_seconds"], changed["default_max_attempts"]) == (30, 4)

    lifted = await web_operator.post("/types/report/limits", data=dict.fromkeys(limits, ""))

    assert lifted.status_code == 303
    after = await type_info(api, "report")
    assert [after[k] for k in ("concurrency", "rate_limit", "timeout_seconds")] == [None] * 3


async def test_the_apis_refusal_sits_beside_the_field_and_keeps_what_was_typed(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    typed = {"concurrency": "0", "rate_limit.jobs": "10", "timeout_seconds": "45"}

    row = await web_operator.post("/types/report/limits", data=typed, headers=swaps_row("report"))

    assert row.status_code == 422
    assert "data-editing" in row.text and "<details open>" in row.text
    concurrency = row.text[row.text.index('<label for="field-report-concurrency">') :]
    error = concurrency[: concurrency.index('name="concurrency"')]
    assert 'id="field-report-concurrency-error">Input should be greater than or equal to 1' in error
    per_seconds = 'id="field-report-rate-limit-per-seconds-error">This field is required.'
    assert per_seconds in row.text  # half a rate limit: the API names the missing half
    assert 'value="45"' in row.text and 'value="0"' in row.text
    assert (await type_info(api, "report"))["timeout_seconds"] is None  # nothing changed

    # Without JavaScript: the whole page, the row's editor open with the same errors.
    page = await web_operator.post("/types/report/limits", data=typed)
    assert page.status_code == 422 and "<!doctype html>" in page.text.lower()
    assert "field-report-concurrency-error" in row_of(page.text, "report")


async def test_a_value_that_is_no_number_is_named_without_asking_the_api(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    row = await web_operator.post(
        "/types/email/limits", data={"concurrency": "many"}, headers=swaps_row("email")
    )

    assert row.status_code == 422
    assert 'id="field-email-concurrency-error">Enter a whole number.</p>' in row.text
    assert (await type_info(api, "email"))["concurrency"] is None


async def test_an_admin_registers_a_type_and_can_create_its_jobs(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    form = {
        "name": "resize_image",
        "description": "Resize an image",
        "schema": json.dumps(RESIZE_IMAGE),
    }

    response = await web.post("/types/register", data=form)

    assert response.status_code == 303
    assert response.headers["location"] == "/types#type-resize_image"
    registered = await type_info(api, "resize_image")
    assert registered["schema"] == RESIZE_IMAGE and registered["description"] == "Resize an image"
    page = (await web.get("/types")).text
    assert 'id="delete-resize_image"' in row_of(page, "resize_image")
    assert 'id="delete-email"' not in page  # built-ins stay
    new_job = (await web.get("/jobs/new?type=resize_image")).text
    assert 'name="payload.crop.x"' in new_job and "Resize an image" in new_job


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"name": "resize", "schema": '{"type": "object", "properties": {"x": {"type": 5}}}'},
            "schema",
            "",
        ),
        ({"name": "resize", "schema": '{"type": "object",'}, "schema", "not valid JSON"),
        ({"name": "resize", "schema": "[1, 2]"}, "schema", "A schema is a JSON object"),
        ({"name": "Bad Name", "schema": '{"type": "object"}'}, "name", ""),
        ({"name": "email", "schema": '{"type": "object"}'}, "name", ""),
        ({"name": "", "schema": '{"type": "object"}'}, "name", "Name the type."),
    ],
    ids=["bad-schema", "not-json", "not-an-object", "bad-name", "built-in", "no-name"],
)
async def test_a_refused_registration_says_why_beside_the_field(
    web: httpx.AsyncClient, api: httpx.AsyncClient, form: dict[str, str], field: str, message: str
) -> None:
    response = await web.post("/types/register", data=form)

    assert response.status_code == 422
    error = f'<p class="field-error" id="field-{field}-error">'
    assert error in response.text
    assert message in response.text.split(error, 1)[1].split("</p>", 1)[0]
    assert f">{form['schema']}</textarea>" in response.text.replace("&#34;", '"')  # kept
    assert [t["name"] for t in (await api.get("/job-types")).json()["types"]] == [
        "email",
        "notification",
        "report",
    ]


async def test_the_preview_shows_the_form_a_schema_gives(web: httpx.AsyncClient) -> None:
    headers = {"HX-Request": "true", "HX-Target": "schema-preview"}

    preview = await web.post(
        "/types/preview", data={"schema": json.dumps(RESIZE_IMAGE)}, headers=headers
    )
    broken = await web.post("/types/preview", data={"schema": "{"}, headers=headers)
    without_js = await web.post("/types/preview", data={"name": "x", "schema": "{}"})

    assert preview.status_code == 200 and "<html" not in preview.text
    assert '<input type="number" id="field-payload-width" name="payload.width"' in preview.text
    assert '<input type="checkbox" id="field-payload-sharpen"' in preview.text
    assert '<fieldset class="field-group" id="field-payload-crop"' in preview.text
    assert 'name="payload.tags"' in preview.text
    assert "not valid JSON" in broken.text
    assert without_js.status_code == 200 and "Preview: the new-job form" in without_js.text


async def test_a_type_in_use_is_not_deleted_and_the_page_says_why(
    web: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await register_type(api, "resize_image", RESIZE_IMAGE)
    payload = {"url": "https://example.com/a.png", "width": 10, "format": "png"}
    job = await create_job(api, {"type": "resize_image", "payload": payload})

    refused = await web.post("/types/resize_image/delete")

    assert refused.status_code == 409
    assert 'id="type-resize_image-notice"' in row_of(refused.text, "resize_image")
    await api.delete(f"/jobs/{job['id']}")  # cancelled: no longer in use

    deleted = await web.post("/types/resize_image/delete")

    assert deleted.status_code == 303
    assert "resize_image" not in [t["name"] for t in (await api.get("/job-types")).json()["types"]]


async def test_an_operator_cannot_register_or_delete(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await register_type(api, "resize_image", RESIZE_IMAGE)

    registered = await web_operator.post(
        "/types/register", data={"name": "other", "schema": '{"type": "object"}'}
    )
    deleted = await web_operator.post("/types/resize_image/delete")

    assert (registered.status_code, deleted.status_code) == (403, 403)
    assert len((await api.get("/job-types")).json()["types"]) == 4


async def test_cross_site_posts_are_refused(web: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    forged = {"Sec-Fetch-Site": "cross-site"}

    paused = await web.post("/types/email/pause", data={"paused": "yes"}, headers=forged)
    limited = await web.post("/types/email/limits", data={"concurrency": "1"}, headers=forged)

    assert (paused.status_code, limited.status_code) == (403, 403)
    email = await type_info(api, "email")
    assert (email["paused"], email["concurrency"]) == (False, None)


async def test_the_live_part_refreshes_alone(web: httpx.AsyncClient) -> None:
    fragment = (await web.get("/types", headers={"HX-Request": "true", "HX-Target": "live"})).text

    assert fragment.lstrip().startswith('<section id="live"')
    assert 'hx-get="/types"' in fragment and "Register a custom type" not in fragment
