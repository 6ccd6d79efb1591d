"""The `report` job: turn the jobs data of a date range into a CSV or PDF artifact.

Each report type becomes one `Table` (the same columns in both formats), which is then
rendered as CSV or PDF and uploaded as the job's artifact.
"""

import asyncio
import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from job_contract import JobStatus, JobType, ReportPayload
from job_contract.artifacts import CONTENT_TYPES
from job_contract.bounds import REPORT_ROW_CAP
from job_contract.payloads import REPORT_TYPES, ReportType
from worker_service.runner.context import JobContext

TIMEOUT_SECONDS = 120
# A PDF cell shows this much of a value (errors can be 10,000 characters); the CSV has it all.
PDF_CELL_CHARS = 160

Cell = str | int


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    total: str  # the line under the PDF's table
    widths: tuple[float, ...]  # relative column widths in the PDF
    landscape: bool = False


async def handle(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.payload
    assert isinstance(payload, ReportPayload)
    start, end = payload.date_range.start, payload.date_range.end
    rows = await ctx.fetch_report_rows(payload.report_type, start, end)
    table = _TABLES[payload.report_type](rows)
    if payload.format == "csv":
        content = render_csv(table)
    else:
        generated_at = datetime.now(UTC)
        title = f"Jobdeck report: {payload.report_type}"
        content = await asyncio.to_thread(render_pdf, table, title, start, end, generated_at)
    filename = f"{payload.report_type}-{start.isoformat()}-{end.isoformat()}.{payload.format}"
    content_type = CONTENT_TYPES[payload.format]
    await ctx.upload_artifact(content, content_type, filename)
    return {
        "filename": filename,
        "content_type": content_type,
        "rows": len(table.rows),
        "bytes": len(content),
    }


# --- tables ---------------------------------------------------------------------------------


def jobs_summary_table(rows: list[dict[str, Any]]) -> Table:
    """One line per job type, one column per status: easier to read than (type, status) pairs."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[row["type"]][row["status"]] += int(row["jobs"])
    statuses = [str(status) for status in JobStatus]
    order = {str(job_type): index for index, job_type in enumerate(JobType)}
    types = sorted(counts, key=lambda job_type: (order.get(job_type, len(order)), job_type))
    lines: list[tuple[Cell, ...]] = [
        (job_type, *(counts[job_type][s] for s in statuses), sum(counts[job_type].values()))
        for job_type in types
    ]
    total = sum(int(row["jobs"]) for row in rows)
    return Table(
        columns=("type", *statuses, "total"),
        rows=lines,
        total=f"Total: {_count(total, 'job')}",
        widths=(1.6, *(1.0 for _ in statuses), 1.0),
    )


def failures_table(rows: list[dict[str, Any]]) -> Table:
    lines: list[tuple[Cell, ...]] = [
        (
            str(row["id"]),
            row["type"],
            int(row["attempts"]),
            row["error"] or "",
            _timestamp(row["failed_at"]),
        )
        for row in rows
    ]
    # The worker service sends at most this many, the newest: say so when the cap is hit.
    capped = " (the newest only)" if len(rows) >= REPORT_ROW_CAP else ""
    return Table(
        columns=("id", "type", "attempts", "error", "failed_at"),
        rows=lines,
        total=f"Total: {_count(len(rows), 'failed job')}{capped}",
        widths=(2.4, 1.1, 0.8, 5.6, 1.7),
        landscape=True,
    )


def throughput_table(rows: list[dict[str, Any]]) -> Table:
    lines: list[tuple[Cell, ...]] = [
        (_day(row["day"]), int(row["completed"]), int(row["failed"])) for row in rows
    ]
    completed = sum(int(row["completed"]) for row in rows)
    failed = sum(int(row["failed"]) for row in rows)
    return Table(
        columns=("day", "completed", "failed"),
        rows=lines,
        total=f"Total: {completed} completed, {failed} failed",
        widths=(1.0, 1.0, 1.0),
    )


_TABLES: dict[ReportType, Callable[[list[dict[str, Any]]], Table]] = {
    "jobs_summary": jobs_summary_table,
    "failures": failures_table,
    "throughput": throughput_table,
}
assert set(_TABLES) == set(REPORT_TYPES), "one table per report type"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _timestamp(value: str | datetime) -> str:
    """Whole seconds, UTC, ISO 8601: machine-readable in the CSV and short enough for the PDF."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _day(value: str | date) -> str:
    if isinstance(value, str):
        return datetime.fromisoformat(value).date().isoformat()
    return value.isoformat()[:10]


# --- rendering ------------------------------------------------------------------------------


def render_csv(table: Table) -> bytes:
    """RFC 4180 CSV (CRLF line ends), UTF-8, a header row then one row per table row."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(table.columns)
    writer.writerows([[_inert(cell) for cell in row] for row in table.rows])
    return text.getvalue().encode()


# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: object) -> object:
    """Error texts come from outside (SMTP servers, webhooks): never let one become a formula."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


class _ReportPdf(FPDF):
    def footer(self) -> None:
        """Page numbers, so a printed report can be put back in order."""
        self.set_y(-12)
        self.set_font("helvetica", size=8)
        self.set_text_color(120)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")


def render_pdf(table: Table, title: str, start: date, end: date, generated_at: datetime) -> bytes:
    """An A4 report: title, range, when it was made, the table (headings repeat on every
    page), and the total line. CPU-bound: run it in a thread."""
    pdf = _ReportPdf(orientation="L" if table.landscape else "P", format="A4")
    pdf.set_title(title)
    pdf.set_creator("Jobdeck")
    pdf.set_creation_date(generated_at)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    _heading(pdf, title, start, end, generated_at)
    if table.rows:
        _table(pdf, table)
        pdf.ln(3)
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(text=_latin1(table.total), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.set_font("helvetica", "I", 11)
        pdf.cell(text="No jobs in this range", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _heading(pdf: FPDF, title: str, start: date, end: date, generated_at: datetime) -> None:
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(text=_latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_font("helvetica", size=10)
    pdf.set_text_color(80)
    pdf.cell(text=f"{start.isoformat()} to {end.isoformat()}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(
        text=f"Generated at {generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0)
    pdf.ln(5)


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font("helvetica", size=8)
    # Numbers line up on the right; text reads from the left.
    align = tuple("RIGHT" if isinstance(cell, int) else "LEFT" for cell in table.rows[0])
    with pdf.table(
        col_widths=table.widths,
        text_align=align,
        line_height=3.8,
        padding=(1, 1.5),
        headings_style=FontFace(emphasis="BOLD", fill_color=220),
        cell_fill_color=243,
        cell_fill_mode="ROWS",
        borders_layout="HORIZONTAL_LINES",
    ) as rendered:
        rendered.row([_latin1(column) for column in table.columns])
        for line in table.rows:
            rendered.row([_cell_text(cell) for cell in line])


def _cell_text(value: Cell) -> str:
    text = " ".join(str(value).split())  # newlines and tabs in errors would break the layout
    if len(text) > PDF_CELL_CHARS:
        text = text[: PDF_CELL_CHARS - 3] + "..."
    return _latin1(text)


# Common typography outside latin-1, mapped to look-alikes rather than "?".
_LOOKALIKES = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}
)


def _latin1(text: str) -> str:
    """fpdf2's core fonts encode latin-1 only; anything else becomes "?" instead of an error."""
    return text.translate(_LOOKALIKES).encode("latin-1", "replace").decode("latin-1")
