"""The report handler: CSV and PDF built from the report rows, uploaded as the job's artifact."""

import csv
import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from job_contract import ReportPayload
from job_contract.bounds import REPORT_ROW_CAP
from job_contract.payloads import DateRange, ReportFormat, ReportType
from jobdeck_access.roles import Role
from tests.access import bearer
from tests.integration.runner_handlers.conftest import job_context
from worker_service.runner.handlers.report import failures_table, handle
from worker_service.runner.settings import RunnerSettings

NOVEMBER = DateRange(start=date(2026, 11, 1), end=date(2026, 11, 24))

SUMMARY_ROWS = [
    {"type": "email", "status": "completed", "jobs": 120},
    {"type": "email", "status": "failed", "jobs": 3},
    {"type": "notification", "status": "pending", "jobs": 7},
    {"type": "report", "status": "completed", "jobs": 2},
]
FAILURE_ROWS = [
    {
        "id": "0b9f6a52-9f3e-4a47-9a53-3f1f1d9c7a10",
        "type": "email",
        "attempts": 3,
        "error": "SMTP server refused ada@example.com: 550 5.1.1 No such user here",
        "failed_at": "2026-11-23T17:04:05.123456Z",
    },
    {
        "id": "5d1c7e1e-8a61-4f0e-8f0a-6a2f1a3a0c2b",
        "type": "notification",
        "attempts": 1,
        "error": "WebhookUnavailable: webhook failed 3 tries,\nlast: 503",
        "failed_at": "2026-11-02T08:00:00Z",
    },
]
THROUGHPUT_ROWS = [
    {"day": "2026-11-01T00:00:00Z", "completed": 40, "failed": 2},
    {"day": "2026-11-02T00:00:00Z", "completed": 55, "failed": 0},
]


@dataclass
class ReportService:
    """Stands in for the worker service: serves `rows`, records what is asked and uploaded."""

    rows: list[dict[str, Any]]
    asked: list[tuple[ReportType, date, date]] = field(default_factory=list)
    uploads: list[tuple[bytes, str, str]] = field(default_factory=list)

    async def fetch_report_rows(self, report_type: ReportType, start: date, end: date) -> list[Any]:
        self.asked.append((report_type, start, end))
        return self.rows

    async def upload_artifact(self, content: bytes, content_type: str, filename: str) -> None:
        self.uploads.append((content, content_type, filename))


async def run_report(
    settings: RunnerSettings,
    report_type: ReportType,
    file_format: ReportFormat,
    rows: list[dict[str, Any]],
) -> tuple[dict[str, Any], ReportService]:
    service = ReportService(rows)
    payload = ReportPayload(report_type=report_type, format=file_format, date_range=NOVEMBER)
    ctx = job_context(payload, settings, service.upload_artifact, service.fetch_report_rows)
    return await handle(ctx), service


def parse_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def pdf_text(content: bytes) -> str:
    """The page content streams, inflated: fpdf2 writes core-font text as `(...) Tj`.
    zlib finds where each stream ends, since compressed bytes may contain "endstream"."""
    starts = [match.end() for match in re.finditer(rb"\bstream\r?\n", content)]
    return "\n".join(
        zlib.decompressobj().decompress(content[start:]).decode("latin-1") for start in starts
    )


def pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", content))


# --- CSV -------------------------------------------------------------------------------------


async def test_jobs_summary_csv_is_a_type_by_status_table_for_the_payloads_range(
    settings: RunnerSettings,
) -> None:
    result, service = await run_report(settings, "jobs_summary", "csv", SUMMARY_ROWS)

    assert service.asked == [("jobs_summary", date(2026, 11, 1), date(2026, 11, 24))]
    [(content, content_type, filename)] = service.uploads
    assert content_type == "text/csv; charset=utf-8"
    assert filename == "jobs_summary-2026-11-01-2026-11-24.csv"
    assert parse_csv(content) == [
        ["type", "pending", "processing", "completed", "failed", "cancelled", "total"],
        ["email", "0", "0", "120", "3", "0", "123"],
        ["report", "0", "0", "2", "0", "0", "2"],
        ["notification", "7", "0", "0", "0", "0", "7"],
    ]
    assert result == {
        "filename": filename,
        "content_type": content_type,
        "rows": 3,
        "bytes": len(content),
    }


async def test_failures_csv_lists_each_failed_job_with_its_whole_error(
    settings: RunnerSettings,
) -> None:
    long_error = "boom, " * 2000 + "\n“quoted” → 日本"
    rows = [*FAILURE_ROWS, {**FAILURE_ROWS[0], "error": long_error}]

    result, service = await run_report(settings, "failures", "csv", rows)

    [(content, _, filename)] = service.uploads
    table = parse_csv(content)
    assert table[0] == ["id", "type", "attempts", "error", "failed_at"]
    assert table[1] == [
        "0b9f6a52-9f3e-4a47-9a53-3f1f1d9c7a10",
        "email",
        "3",
        "SMTP server refused ada@example.com: 550 5.1.1 No such user here",
        "2026-11-23T17:04:05Z",
    ]
    assert table[2][3] == "WebhookUnavailable: webhook failed 3 tries,\nlast: 503"
    assert table[3][3] == long_error
    assert (filename, result["rows"]) == ("failures-2026-11-01-2026-11-24.csv", 3)


def test_failures_total_says_when_the_row_cap_cut_the_list() -> None:
    # The worker service sends at most REPORT_ROW_CAP failures, the newest.
    capped = [FAILURE_ROWS[0]] * REPORT_ROW_CAP

    assert failures_table(capped).total == f"Total: {REPORT_ROW_CAP} failed jobs (the newest only)"
    assert failures_table(capped[1:]).total == f"Total: {REPORT_ROW_CAP - 1} failed jobs"


async def test_csv_cells_cannot_become_spreadsheet_formulas(settings: RunnerSettings) -> None:
    hostile = '=HYPERLINK("http://evil.example","click")'
    rows = [{**FAILURE_ROWS[0], "error": hostile}]

    _, service = await run_report(settings, "failures", "csv", rows)

    [(content, _, _)] = service.uploads
    assert parse_csv(content)[1][3] == "'" + hostile


async def test_throughput_csv_has_one_row_per_day(settings: RunnerSettings) -> None:
    _, service = await run_report(settings, "throughput", "csv", THROUGHPUT_ROWS)

    [(content, _, _)] = service.uploads
    assert parse_csv(content) == [
        ["day", "completed", "failed"],
        ["2026-11-01", "40", "2"],
        ["2026-11-02", "55", "0"],
    ]


async def test_csv_of_an_empty_range_has_only_the_header(settings: RunnerSettings) -> None:
    result, service = await run_report(settings, "failures", "csv", [])

    [(content, _, _)] = service.uploads
    assert parse_csv(content) == [["id", "type", "attempts", "error", "failed_at"]]
    assert result["rows"] == 0


# --- PDF -------------------------------------------------------------------------------------


async def test_pdf_report_is_a_whole_pdf_with_title_range_table_and_total(
    settings: RunnerSettings,
) -> None:
    result, service = await run_report(settings, "jobs_summary", "pdf", SUMMARY_ROWS)

    [(content, content_type, filename)] = service.uploads
    assert (content_type, filename) == ("application/pdf", "jobs_summary-2026-11-01-2026-11-24.pdf")
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    assert len(content) > 1024
    assert pdf_pages(content) == 1
    assert b"/Title (Jobdeck report: jobs_summary)" in content
    text = pdf_text(content)
    for expected in (
        "(Jobdeck report: jobs_summary)",
        "(2026-11-01 to 2026-11-24)",
        "(Generated at ",
        "(notification)",
        "(Total: 132 jobs)",
    ):
        assert expected in text
    assert result == {
        "filename": filename,
        "content_type": "application/pdf",
        "rows": 3,
        "bytes": len(content),
    }


async def test_pdf_of_an_empty_range_says_there_were_no_jobs(settings: RunnerSettings) -> None:
    result, service = await run_report(settings, "throughput", "pdf", [])

    [(content, _, _)] = service.uploads
    assert pdf_pages(content) == 1
    assert "(No jobs in this range)" in pdf_text(content)
    assert result["rows"] == 0


async def test_pdf_truncates_long_errors_and_replaces_characters_outside_latin1(
    settings: RunnerSettings,
) -> None:
    rows = [{**FAILURE_ROWS[0], "error": "“quoted” → 日本 café " + "boom " * 2000}]

    _, service = await run_report(settings, "failures", "pdf", rows)

    [(content, _, _)] = service.uploads
    assert pdf_pages(content) == 1  # 10,000 characters of error did not spill over pages
    text = pdf_text(content)
    assert '("quoted" ? ?? café boom boom' in text
    assert text.count("boom") < 40
    assert "...) Tj" in text


async def test_pdf_of_many_failures_spans_pages(settings: RunnerSettings) -> None:
    rows = [{**FAILURE_ROWS[1], "id": str(UUID(int=n))} for n in range(120)]

    result, service = await run_report(settings, "failures", "pdf", rows)

    [(content, _, _)] = service.uploads
    assert pdf_pages(content) > 1
    assert "(Total: 120 failed jobs)" in pdf_text(content)
    assert result["rows"] == 120


# --- against the real worker service ---------------------------------------------------------


async def test_report_from_the_worker_services_data_is_stored_as_the_jobs_artifact(
    settings: RunnerSettings, worker_url: str, db: asyncpg.Connection, tokens: dict[Role, str]
) -> None:
    today = datetime.now(UTC).date()
    window = DateRange(start=today - timedelta(days=1), end=today + timedelta(days=1))
    await db.execute(
        "INSERT INTO jobs (type, payload, status, error) VALUES "
        """('email', '{"to": "a@example.com"}', 'completed', NULL), """
        """('email', '{"to": "b@example.com"}', 'completed', NULL), """
        """('notification', '{"user_id": "u"}', 'failed', 'webhook said 400')"""
    )
    payload = ReportPayload(report_type="jobs_summary", format="csv", date_range=window)
    job_id = await db.fetchval(
        "INSERT INTO jobs (type, payload, status, attempts, locked_by, locked_until) "
        "VALUES ('report', $1::text::jsonb, 'processing', 1, 'r', now() + interval '1 minute') "
        "RETURNING id",
        payload.model_dump_json(),
    )

    runner_token = bearer(tokens[Role.RUNNER])
    async with httpx.AsyncClient(base_url=worker_url, headers=runner_token, timeout=30) as worker:

        async def fetch_report_rows(report_type: str, start: date, end: date) -> list[Any]:
            params = {"start": start.isoformat(), "end": end.isoformat()}
            response = await worker.get(f"/report-data/{report_type}", params=params)
            response.raise_for_status()
            rows: list[Any] = response.json()["rows"]
            return rows

        async def upload_artifact(content: bytes, content_type: str, filename: str) -> None:
            response = await worker.put(
                f"/artifacts/{job_id}",
                params={"filename": filename, "attempt": 1},
                content=content,
                headers={"content-type": content_type},
            )
            assert response.status_code == 201, response.text

        ctx = job_context(payload, settings, upload_artifact, fetch_report_rows, job_id=job_id)
        result = await handle(ctx)

    stored = await db.fetchrow(
        "SELECT content_type, filename, content FROM job_artifacts WHERE job_id = $1", job_id
    )
    assert stored["content_type"] == "text/csv; charset=utf-8"
    assert stored["filename"] == f"jobs_summary-{window.start}-{window.end}.csv"
    assert result["bytes"] == len(stored["content"])
    assert parse_csv(stored["content"]) == [
        ["type", "pending", "processing", "completed", "failed", "cancelled", "total"],
        ["email", "0", "0", "2", "0", "0", "2"],
        ["report", "0", "1", "0", "0", "0", "1"],
        ["notification", "0", "0", "0", "1", "0", "1"],
    ]
