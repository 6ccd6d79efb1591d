"""A report's file: what a runner may upload (PUT /artifacts/{id} on the worker service), and how
the producer API hands it out (GET /jobs/{id}/artifact), whatever its name holds."""

from urllib.parse import quote

import asyncpg
import httpx
import pytest

from job_contract.bounds import MAX_FILENAME_CHARS
from tests.factories import insert_jobs

CSV = {"content-type": "text/csv"}
SAFETY = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
}


async def claimed(worker: httpx.AsyncClient, db: asyncpg.Connection, job_type: str) -> str:
    await insert_jobs(db, type=job_type)
    job_id: str = (await worker.post("/process")).json()["id"]
    return job_id


async def stored_artifacts(db: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await db.fetch("SELECT content_type, filename FROM job_artifacts")
    return [(row["content_type"], row["filename"]) for row in rows]


# --- uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/html", "image/svg+xml", "application/octet-stream", None]
)
async def test_an_upload_that_is_not_csv_or_pdf_is_a_415(
    worker: httpx.AsyncClient, db: asyncpg.Connection, content_type: str | None
) -> None:
    job_id = await claimed(worker, db, "report")
    headers = {"content-type": content_type} if content_type else {}

    response = await worker.put(
        f"/artifacts/{job_id}", content=b"<script>1</script>", headers=headers
    )

    assert response.status_code == 415, response.text
    assert "must be application/pdf or text/csv" in response.json()["detail"]
    assert await stored_artifacts(db) == []


async def test_csv_and_pdf_are_stored_as_their_canonical_types_whatever_parameters_came(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    csv_job, pdf_job = await claimed(worker, db, "report"), await claimed(worker, db, "report")

    csv = await worker.put(
        f"/artifacts/{csv_job}?filename=a.csv",
        content=b"a\n",
        headers={"content-type": "Text/CSV; charset=utf-8; evil=1"},
    )
    pdf = await worker.put(
        f"/artifacts/{pdf_job}?filename=b.pdf",
        content=b"%PDF-1.4",
        headers={"content-type": "application/pdf"},
    )

    assert (csv.status_code, pdf.status_code) == (201, 201)
    assert sorted(await stored_artifacts(db)) == [
        ("application/pdf", "b.pdf"),
        ("text/csv; charset=utf-8", "a.csv"),
    ]


async def test_only_a_report_job_may_have_a_file(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await claimed(worker, db, "email")

    response = await worker.put(f"/artifacts/{job_id}", content=b"a,b\n", headers=CSV)

    assert response.status_code == 409, response.text
    assert "only report jobs have files" in response.json()["detail"]
    assert await stored_artifacts(db) == []


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd",
        "reports/summary.csv",
        "C:\\reports\\summary.csv",
        'summary".csv',
        "line\nbreak.csv",
        "tab\there.csv",
        "bell\x07.csv",
        "summary\u202ecsv.exe",  # a right-to-left override hides the real extension
        "..",
        "x" * (MAX_FILENAME_CHARS + 1),
        "",
    ],
)
async def test_a_filename_that_is_not_a_plain_name_is_refused_naming_it(
    worker: httpx.AsyncClient, db: asyncpg.Connection, filename: str
) -> None:
    job_id = await claimed(worker, db, "report")

    response = await worker.put(
        f"/artifacts/{job_id}", params={"filename": filename}, content=b"a\n", headers=CSV
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "filename"]
    assert await stored_artifacts(db) == []


async def test_without_a_filename_the_file_is_named_after_its_job_and_format(
    worker: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await claimed(worker, db, "report")

    response = await worker.put(
        f"/artifacts/{job_id}", content=b"%PDF", headers={"content-type": "application/pdf"}
    )

    assert response.json()["filename"] == f"{job_id}.pdf"


# --- downloads --------------------------------------------------------------------------------


async def uploaded(worker: httpx.AsyncClient, db: asyncpg.Connection, filename: str) -> str:
    job_id = await claimed(worker, db, "report")
    response = await worker.put(
        f"/artifacts/{job_id}", params={"filename": filename}, content=b"a,b\n", headers=CSV
    )
    assert response.status_code == 201, response.text
    return job_id


async def test_a_name_beyond_latin_1_downloads_as_rfc_6266_says(
    worker: httpx.AsyncClient, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await uploaded(worker, db, "報告 2026.csv")

    response = await api.get(f"/jobs/{job_id}/artifact")

    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"__ 2026.csv\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%202026.csv"
    )
    assert response.content == b"a,b\n"


async def test_a_download_is_never_sniffed_nor_run(
    worker: httpx.AsyncClient, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await uploaded(worker, db, "summary.csv")

    response = await api.get(f"/jobs/{job_id}/artifact")

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert {name: response.headers[name] for name in SAFETY} == SAFETY
    assert 'filename="summary.csv"' in response.headers["content-disposition"]


async def test_a_file_stored_before_uploads_were_checked_is_served_as_a_plain_download(
    worker: httpx.AsyncClient, api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    job_id = await uploaded(worker, db, "summary.csv")
    await db.execute(
        "UPDATE job_artifacts SET content_type = 'text/html', filename = $1",
        'evil"\r\nSet-Cookie: a=b; <x>.html',
    )

    response = await api.get(f"/jobs/{job_id}/artifact")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "set-cookie" not in response.headers
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="evil___Set-Cookie_ a=b_ _x_.html"; ')
    assert disposition.endswith(quote('evil"\r\nSet-Cookie: a=b; <x>.html', safe=""))
    assert {name: response.headers[name] for name in SAFETY} == SAFETY
