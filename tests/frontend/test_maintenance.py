"""/maintenance through the real dashboard and producer API: settings, sizes, a preview that
deletes nothing, the confirmed run, the history; hidden actions for a viewer; the exports."""

import json

import asyncpg
import httpx

from tests.factories import insert_finished_jobs


async def test_an_operator_previews_then_confirms_and_the_history_shows_both(
    web_operator: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_finished_jobs(db, 3, "completed", 9)
    await insert_finished_jobs(db, 1, "failed", 45)
    await insert_finished_jobs(db, 2, "completed", 1)

    page = (await web_operator.get("/maintenance")).text
    assert "<dt>Completed</dt><dd>7 days after finishing</dd>" in page
    assert "<code>jobs</code>" in page and "<code>job_events</code>" in page
    assert "Preview a clean-up" in page and "Delete them now" not in page

    preview = await web_operator.post("/maintenance/preview")

    assert preview.status_code == 200
    assert "Would delete 3 completed, 1 failed, 0 cancelled." in preview.text
    assert "Delete them now" in preview.text
    assert await db.fetchval("SELECT count(*) FROM jobs") == 6

    # Without JavaScript: post, then back to the page (a reload cannot post again).
    done = await web_operator.post("/maintenance/cleanup")

    assert done.status_code == 303 and done.headers["location"] == "/maintenance#history"
    assert await db.fetchval("SELECT count(*) FROM jobs") == 2
    page = (await web_operator.get("/maintenance")).text
    history = page[page.index('id="history"') :]
    assert history.count("api: test-operator") == 2
    assert "3 completed, 1 failed, 0 cancelled" in history
    assert history.index("clean-up") < history.index("dry run")  # newest first


async def test_through_htmx_the_run_swaps_the_page_and_says_what_went(
    web_operator: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_finished_jobs(db, 2, "cancelled", 8)
    htmx = {"HX-Request": "true", "HX-Target": "main"}

    done = await web_operator.post("/maintenance/cleanup", headers=htmx)

    assert done.status_code == 200
    assert done.headers["HX-Push-Url"] == "/maintenance"
    assert done.text.startswith("<title>Maintenance · Jobdeck</title>")
    assert "Deleted 0 completed, 0 failed, 2 cancelled." in done.text


async def test_a_viewer_reads_the_page_without_the_actions(
    web_viewer: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await insert_finished_jobs(db, 1, "completed", 9)

    page = (await web_viewer.get("/maintenance")).text
    refused = await web_viewer.post("/maintenance/cleanup")

    assert "Preview a clean-up" not in page and "Delete them now" not in page
    assert "Only an operator or admin may run a clean-up." in page
    assert refused.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM jobs") == 1


async def test_exports_download_by_day_and_by_the_lists_filters(
    web_viewer: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    reports = await insert_finished_jobs(db, 2, "failed", 3, type="report")
    await insert_finished_jobs(db, 1, "completed", 3)
    day = await db.fetchval("SELECT (updated_at AT TIME ZONE 'UTC')::date FROM jobs LIMIT 1")

    listed = (await web_viewer.get("/jobs?type=report&status=failed")).text
    assert 'href="/exports/jobs.ndjson?status=failed&amp;type=report"' in listed
    assert "Export these" not in (await web_viewer.get("/jobs")).text

    filtered = await web_viewer.get("/exports/jobs.ndjson?status=failed&type=report&sort=type")
    by_day = await web_viewer.get(f"/exports/jobs.ndjson?date={day}")
    bad = await web_viewer.get("/exports/jobs.ndjson?date=tomorrow")

    assert filtered.status_code == 200
    assert filtered.headers["content-type"] == "application/x-ndjson"
    assert filtered.headers["content-disposition"] == 'attachment; filename="jobs.ndjson"'
    assert sorted(json.loads(line)["id"] for line in filtered.text.splitlines()) == sorted(reports)
    assert len(by_day.text.splitlines()) == 3
    assert by_day.headers["content-disposition"] == f'attachment; filename="jobs-{day}.ndjson"'
    assert bad.status_code == 400  # the dashboard's page for a refused request
    assert "date" in bad.text
