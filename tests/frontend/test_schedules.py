"""/schedules against the real producer API: the list (cron in words, zone, next runs, last
job), the create and edit forms (the job part is the create-job form) with 422s beside their
fields, enable/disable and run now in place (htmx) and by plain posts, and what each role sees."""

import re

import httpx

from tests.factories import create_schedule, custom_job, email_job, register_type, schedule


def row_of(page: str, name: str) -> str:
    start = page.index(f'<tr id="schedule-{name}"')
    return page[start : page.index("</tr>", start)]


def swaps_row(name: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": f"schedule-{name}"}


NEW_SCHEDULE = {
    "name": "nightly",
    "cron": "30 2 * * *",
    "timezone": "Europe/Berlin",
    "type": "email",
    "payload.to": "ada@example.com",
    "payload.subject": "Nightly",
    "payload.body": "Good night",
    "priority": "4",
}


async def test_the_list_shows_cron_in_words_zone_next_runs_and_last_job(
    web_viewer: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await create_schedule(api, schedule(name="digest", timezone="Asia/Tokyo"))
    job = (await api.post("/schedules/digest/trigger")).json()

    response = await web_viewer.get("/schedules")

    assert response.status_code == 200
    assert "<!DOCTYPE html>" in response.text or "<html" in response.text
    row = row_of(response.text, "digest")
    assert "Every 10 minutes" in row
    assert "Asia/Tokyo" in row
    assert row.count("<time datetime=") >= 3  # next runs
    assert f'href="/jobs/{job["id"]}"' in row
    assert "badge-pending" in row
    # A viewer reads, and is offered no control.
    assert "Run now" not in row and "Disable" not in row and "Edit" not in row
    assert "New schedule" not in response.text


async def test_through_htmx_the_page_is_a_fragment(web: httpx.AsyncClient) -> None:
    response = await web.get("/schedules", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "No schedules yet" in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_creating_through_the_form_stores_the_schedule(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    form = await web_operator.get("/schedules/new?type=email")
    assert 'name="payload.subject"' in form.text
    assert 'name="scheduled_for"' not in form.text  # a schedule's job is due when made

    response = await web_operator.post("/schedules/new", data=NEW_SCHEDULE)

    assert response.status_code == 303
    assert response.headers["location"] == "/schedules#schedule-nightly"
    stored = (await api.get("/schedules/nightly")).json()
    assert stored["timezone"] == "Europe/Berlin"
    assert stored["job"]["priority"] == 4
    assert stored["job"]["payload"]["subject"] == "Nightly"


async def test_the_apis_422s_are_shown_beside_their_fields(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    bad = NEW_SCHEDULE | {"cron": "61 * * * *", "timezone": "Mars/Olympus", "payload.to": "x"}

    response = await web_operator.post("/schedules/new", data=bad)

    assert response.status_code == 422
    page = response.text

    def error_beside(field: str) -> str:
        start = page.index(f'id="field-{field}-error"')
        return page[start : page.index("</p>", start)]

    assert "Bad minute" in error_beside("cron")
    assert "IANA" in error_beside("timezone")
    assert error_beside("payload-to")
    assert 'value="61 * * * *"' in page  # what was typed stays
    assert (await api.get("/schedules")).json()["schedules"] == []


async def test_the_edit_form_starts_from_the_stored_schedule_and_saves_changes(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await create_schedule(api, schedule(job=email_job(payload={"subject": "Digest"})))

    form = await web_operator.get("/schedules/digest/edit")
    saved = await web_operator.post(
        "/schedules/digest/edit",
        data={
            "cron": "0 * * * *",
            "timezone": "UTC",
            "type": "email",
            "payload.to": "ada@example.com",
            "payload.subject": "Hourly digest",
            "payload.body": "Hello",
        },
    )

    assert 'value="*/10 * * * *"' in form.text
    assert 'value="Digest"' in form.text
    assert saved.status_code == 303
    stored = (await api.get("/schedules/digest")).json()
    assert stored["cron"] == "0 * * * *"
    assert stored["job"]["payload"]["subject"] == "Hourly digest"


async def test_disable_and_run_now_swap_the_row_through_htmx(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await create_schedule(api)

    disabled = await web_operator.post(
        "/schedules/digest/enabled", data={"enabled": "no"}, headers=swaps_row("digest")
    )
    ran = await web_operator.post("/schedules/digest/run", headers=swaps_row("digest"))

    assert disabled.status_code == 200
    assert disabled.text.lstrip().startswith('<tr id="schedule-digest"')
    assert "None while disabled" in disabled.text
    assert "Enable" in disabled.text
    job = (await api.get("/jobs", params={"schedule": "digest"})).json()["items"][0]
    assert f'href="/jobs/{job["id"]}"' in ran.text
    assert (await api.get("/schedules/digest")).json()["enabled"] is False


async def test_without_javascript_the_buttons_post_and_come_back(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await create_schedule(api, schedule(enabled=False))

    enabled = await web_operator.post("/schedules/digest/enabled", data={"enabled": "yes"})
    deleted = await web_operator.post("/schedules/digest/delete")

    assert enabled.status_code == 303
    assert enabled.headers["location"] == "/schedules#schedule-digest"
    assert deleted.status_code == 303
    assert (await api.get("/schedules/digest")).status_code == 404


async def test_a_viewer_is_refused_the_forms(web_viewer: httpx.AsyncClient) -> None:
    response = await web_viewer.get("/schedules/new")

    assert response.status_code == 403
    assert "operator" in response.text


async def test_a_scheduled_jobs_page_names_its_schedule(
    web_viewer: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await create_schedule(api)
    job = (await api.post("/schedules/digest/trigger")).json()

    page = (await web_viewer.get(f"/jobs/{job['id']}")).text

    assert 'href="/schedules#schedule-digest"' in page


async def test_run_now_of_a_schedule_whose_type_was_deleted_says_why_in_its_row(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await register_type(api)
    await create_schedule(api, schedule(job=custom_job()))
    await api.delete("/job-types/resize_image")

    in_place = await web_operator.post("/schedules/digest/run", headers=swaps_row("digest"))
    plain = await web_operator.post("/schedules/digest/run")

    for response in (in_place, plain):
        assert response.status_code == 409
        assert "resize_image" in row_of(response.text, "digest")
        assert 'role="alert"' in row_of(response.text, "digest")


async def test_the_job_list_filters_by_schedule_and_pages_link_to_it(
    web_viewer: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await create_schedule(api)
    await create_schedule(api, schedule(name="nightly", cron="30 2 * * *"))
    made = (await api.post("/schedules/digest/trigger")).json()
    await api.post("/schedules/nightly/trigger")
    await api.post("/jobs", json=email_job())

    page = (await web_viewer.get("/jobs?schedule=%20Digest%20")).text
    results = await web_viewer.get(
        "/jobs?schedule=digest", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    nonsense = (await web_viewer.get("/jobs?schedule=no%20such!")).text
    job_page = (await web_viewer.get(f"/jobs/{made['id']}")).text
    schedules = (await web_viewer.get("/schedules")).text

    assert re.findall(r'href="/jobs/([0-9a-f-]{36})"', page) == [made["id"]]
    assert 'name="schedule" value="digest"' in page
    assert '<option value="digest">' in page and '<option value="nightly">' in page
    assert "/exports/jobs.ndjson?schedule=digest" in page  # "export these" keeps the filter
    assert results.headers["HX-Push-Url"] == "/jobs?schedule=digest"
    assert made["id"] in results.text
    assert 'name="schedule" value=""' in nonsense  # dropped, like any unknown value
    assert len(set(re.findall(r'href="/jobs/([0-9a-f-]{36})"', nonsense))) == 3
    assert 'href="/jobs?schedule=digest"' in job_page
    assert 'href="/jobs?schedule=digest"' in row_of(schedules, "digest")


async def test_an_edit_through_the_form_clears_what_was_emptied_and_keeps_what_it_hides(
    web_operator: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    hook = "https://hooks.example.com/done"
    job = email_job(concurrency_key="ada", max_attempts=7, callback_url=hook)
    await create_schedule(api, schedule(job=job))

    saved = await web_operator.post(
        "/schedules/digest/edit",
        data={
            "cron": "*/10 * * * *",
            "timezone": "UTC",
            "type": "email",
            "payload.to": "ada@example.com",
            "payload.subject": "Welcome",
            "payload.body": "Hello Ada",
            "priority": "3",
            "max_attempts": "",
            "concurrency_key": "",
        },
    )

    assert saved.status_code == 303, saved.text
    stored = (await api.get("/schedules/digest")).json()["job"]
    assert stored["concurrency_key"] is None
    assert stored["max_attempts"] is None
    assert stored["callback_url"] == hook  # the form has no such field: left as it was
