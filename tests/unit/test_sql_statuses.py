"""The statuses and event kinds the services' SQL spells out are job_contract's, read from the
.sql files (no database).

A literal counts as a status where it is compared with, assigned to or inserted into a
`status` column, or is a `WHEN` of `CASE status`; as an event kind where it is compared with
`kind` or inserted as a job_events row's kind. The migrations' CHECK constraints are held to
the same enums against the migrated database (tests/integration/test_database_lifecycle.py).
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from job_contract import EventKind, JobStatus
from job_contract.transitions import CLAIMABLE, HELD
from jobdeck_db.queries import load_queries

REPO = Path(__file__).resolve().parents[2]
WORKER_SQL = REPO / "worker_service" / "queries.sql"
# Each service's statements; a service that keeps none in a file yet has nothing to check.
SQL_FILES = [path for path in (WORKER_SQL, REPO / "producer_api" / "queries.sql") if path.is_file()]

_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_COMMENT_OR_LITERAL = re.compile(r"'(?:[^']|'')*'|--[^\n]*")
_TOKEN = re.compile(r"'(?:[^']|'')*'|\w+|\s+|.", re.DOTALL)


def _without_comments(sql: str) -> str:
    # Comments may hold apostrophes ("a runner's outcome") that would open a false literal.
    return _COMMENT_OR_LITERAL.sub(lambda m: "" if m[0].startswith("--") else m[0], sql)


def statements(path: Path) -> dict[str, str]:
    return {name: _without_comments(sql) for name, sql in load_queries(path).items()}


def _literals(text: str) -> list[str]:
    return [match.replace("''", "'") for match in _LITERAL.findall(text)]


def _case_branches(sql: str, head: str, branch: str) -> Iterator[str]:
    """The literals after `branch` (WHEN, or THEN|ELSE) in each CASE that `head` opens."""
    for case in re.finditer(head + r"(.*?)\bEND\b", sql, re.IGNORECASE | re.DOTALL):
        for literal in re.finditer(rf"\b(?:{branch})\s+'([^']*)'", case[1], re.IGNORECASE):
            yield literal[1]


def _top_level_items(text: str) -> list[str]:
    """The comma-separated expressions at the start of `text`, up to its first top-level
    FROM / WHERE / RETURNING / ON, `;`, or the `)` that closes what encloses it."""
    items, current, depth = [], "", 0
    for token in _TOKEN.findall(text):
        if depth == 0 and (token in (")", ";") or token.upper() in _CLAUSES):
            break
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth == 0 and token == ",":
            items.append(current)
            current = ""
        else:
            current += token
    return [*items, current]


_CLAUSES = {"FROM", "WHERE", "RETURNING", "ON"}


def inserted(sql: str, table: str, column: str) -> Iterator[str]:
    """The expression each `INSERT INTO table (…) SELECT …|VALUES (…)` gives `column`."""
    insert = rf"\bINSERT\s+INTO\s+{table}\s*\(([^)]*)\)\s*(?:SELECT\b|VALUES\s*\()"
    for match in re.finditer(insert, sql, re.IGNORECASE):
        columns = [name.strip() for name in match[1].split(",")]
        if column in columns:
            yield _top_level_items(sql[match.end() :])[columns.index(column)]


def status_literals(sql: str) -> list[str]:
    compared = re.findall(r"\bstatus\s*(?:=|<>|!=)\s*'([^']*)'", sql, re.IGNORECASE)
    listed = re.findall(r"\bstatus\s+(?:NOT\s+)?IN\s*\(([^)]*)\)", sql, re.IGNORECASE)
    return [
        *compared,
        *(literal for values in listed for literal in _literals(values)),
        *_case_branches(sql, r"\bCASE\s+(?:\w+\.)?status\s", "WHEN"),
        *_case_branches(sql, r"\bstatus\s*=\s*CASE\b", "THEN|ELSE"),
        *(literal for value in inserted(sql, "jobs", "status") for literal in _literals(value)),
    ]


def event_kind_literals(sql: str) -> list[str]:
    compared = re.findall(r"\bkind\s*(?:=|<>|!=)\s*'([^']*)'", sql, re.IGNORECASE)
    listed = re.findall(r"\bkind\s+(?:NOT\s+)?IN\s*\(([^)]*)\)", sql, re.IGNORECASE)
    kinds = []
    for value in inserted(sql, "job_events", "kind"):
        # A kind chosen by the job's new status: its WHENs are statuses, the rest kinds.
        whens = list(_case_branches(value, r"\bCASE\s+(?:\w+\.)?status\s", "WHEN"))
        kinds += [literal for literal in _literals(value) if literal not in whens]
    return [*compared, *(literal for values in listed for literal in _literals(values)), *kinds]


def _outside(path: Path, find: Callable[[str], list[str]], allowed: set[str]) -> list[str]:
    """Each literal `find` sees in the file that is not `allowed`, with its statement's name."""
    return [
        f"{path.relative_to(REPO)} {name}: '{literal}'"
        for name, sql in statements(path).items()
        for literal in find(sql)
        if literal not in allowed
    ]


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: str(path.relative_to(REPO)))
def test_every_status_in_the_sql_is_a_job_status(path: Path) -> None:
    assert _outside(path, status_literals, set(JobStatus)) == []


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: str(path.relative_to(REPO)))
def test_every_event_kind_in_the_sql_is_an_event_kind(path: Path) -> None:
    assert _outside(path, event_kind_literals, set(EventKind)) == []


def test_the_claim_takes_claimable_jobs_and_holds_them() -> None:
    claim = statements(WORKER_SQL)["job_claim"]

    assert re.findall(r"\bWHERE\s+status\s*=\s*'([^']*)'", claim) == [CLAIMABLE]
    assert re.findall(r"\bSET\s+status\s*=\s*'([^']*)'", claim) == [HELD]
    assert event_kind_literals(claim) == [EventKind.CLAIMED]


@pytest.mark.parametrize(
    "name", ["job_complete", "job_fail", "job_extend_leases", "job_artifact_put"]
)
def test_a_runners_report_counts_only_while_the_job_is_held(name: str) -> None:
    sql = statements(WORKER_SQL)[name]
    # Every comparison with a status, but not the new status a statement sets.
    compared = re.findall(r"(?<!SET )\bstatus\s*=\s*'([^']*)'", sql, re.IGNORECASE)

    assert compared == [HELD]


def test_the_literal_finders_see_every_context_they_claim_to() -> None:
    sql = """
        WITH failed AS (
            UPDATE jobs SET status = CASE WHEN $1 THEN 'pending' ELSE 'failed' END
            WHERE jobs.status = 'processing' AND status NOT IN ('completed', 'cancelled')
            RETURNING *
        ), logged AS (
            INSERT INTO job_events (job_id, kind, attempt, detail)
            SELECT id, CASE status WHEN 'pending' THEN 'retry_scheduled' ELSE 'failed' END,
                   attempts, format('%s at %s', error, to_char(now(), 'HH24:MI'))
            FROM failed
        )
        INSERT INTO jobs (type, status, payload) VALUES ('email', 'pending', '{}');
        SELECT count(*) FROM job_events WHERE kind IN ('created', 'retried') OR kind = 'rescued'
    """

    assert sorted(status_literals(sql)) == sorted(
        ["pending", "failed", "processing", "completed", "cancelled", "pending", "pending"]
    )
    assert sorted(event_kind_literals(sql)) == sorted(
        ["retry_scheduled", "failed", "created", "retried", "rescued"]
    )
