"""Alert rules on real rows, sent to a real receiver: grouped, rate-limited, once across
replicas, and listed by GET /alerts."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from tests.factories import insert_jobs
from tests.peers import SMTP_LOGIN, LocalSmtpServer
from tests.receiver import Receiver
from worker_service.alerts.evaluator import AlertEvaluator, AlertSettings
from worker_service.alerts.store import AlertStore
from worker_service.store import create_pool


@pytest.fixture
async def evaluator(outbox_pool: asyncpg.Pool, receiver: Receiver) -> AsyncIterator[Any]:
    def make(**settings: Any) -> AlertEvaluator:
        defaults = {"webhook_url": receiver.url, "dashboard_url": "https://jobs.example.com"}
        return AlertEvaluator(AlertStore(outbox_pool), AlertSettings(**{**defaults, **settings}))

    yield make


def texts(receiver: Receiver) -> list[str]:
    return [json.loads(request.body)["text"] for request in receiver.requests]


async def fail_jobs(db: asyncpg.Connection, count: int, job_type: str = "email") -> None:
    await insert_jobs(db, count, type=job_type, status="failed", error="SMTP 550 mailbox full")


async def test_jobs_failed_for_good_are_grouped_per_type_and_rate_limited(
    db: asyncpg.Connection, receiver: Receiver, evaluator: Any, api: httpx.AsyncClient
) -> None:
    await fail_jobs(db, 3)
    await fail_jobs(db, 1, "notification")
    quiet = evaluator()

    assert await quiet.run_once() == 2
    await fail_jobs(db, 2)
    assert await quiet.run_once() == 0  # within ALERT_MIN_INTERVAL_SECONDS of the last

    notification, email = sorted(texts(receiver))  # "1 notification…" sorts first
    assert email.startswith("3 email jobs failed for good. Last error: SMTP 550 mailbox full")
    assert "<https://jobs.example.com/jobs?status=failed&type=email|see them>" in email
    assert notification.startswith("1 notification job failed for good")
    # Once the interval has passed, only what failed since the last alert is counted.
    assert await evaluator(min_interval_seconds=0).run_once() == 1
    assert texts(receiver)[-1].startswith("2 email jobs failed")
    listed = (await api.get("/alerts")).json()["alerts"]
    assert [(a["rule"], a["subject"]) for a in listed[:1]] == [("jobs_failed", "email")]
    assert len(listed) == 3
    assert all(a["sent_at"] and a["error"] is None for a in listed)


async def test_two_replicas_send_an_alert_once(
    db: asyncpg.Connection, receiver: Receiver, evaluator: Any, database_url: str
) -> None:
    await fail_jobs(db, 5)
    other_pool = await create_pool(database_url, 2, durable=True)
    other = AlertEvaluator(AlertStore(other_pool), evaluator().settings)

    raised = await asyncio.gather(evaluator().run_once(), other.run_once())
    raised_again = await asyncio.gather(evaluator().run_once(), other.run_once())
    await other_pool.close()

    assert sorted(raised) == [0, 1] and raised_again == [0, 0]
    assert len(texts(receiver)) == 1


async def test_a_failure_rate_over_the_threshold_needs_enough_jobs(
    db: asyncpg.Connection, receiver: Receiver, evaluator: Any
) -> None:
    rate = evaluator(min_jobs=20, failure_rate=0.2)
    await insert_jobs(db, 15, status="completed")
    await fail_jobs(db, 4)  # 4 of 19: 21 %, but fewer than 20 finished
    await rate.run_once()
    assert not any(text.startswith("email: ") for text in texts(receiver))

    await insert_jobs(db, 1, status="completed")  # 4 of 20: 20 %, not over
    await rate.run_once()
    await fail_jobs(db, 1)  # 5 of 21: 24 %
    await rate.run_once()

    [alert] = [text for text in texts(receiver) if text.startswith("email: ")]
    assert alert.startswith("email: 5 of 21 jobs failed in the last 15 minutes (24%, over 20%)")


async def test_a_runner_down_holding_jobs_is_alerted_once_per_outage(
    db: asyncpg.Connection, receiver: Receiver, evaluator: Any
) -> None:
    await db.execute(
        "INSERT INTO workers (worker_id, last_heartbeat_at) VALUES"
        " ('runner-gone', now() - interval '5 minutes'),"
        " ('runner-idle', now() - interval '5 minutes'),"
        " ('runner-fine', now())"
    )
    for runner in ("runner-gone", "runner-fine"):
        await insert_jobs(
            db, 2, status="processing", locked_by=runner, locked_until="2999-01-01T00:00:00Z"
        )
    watch = evaluator(runner_down_after_seconds=30)

    await watch.run_once()
    await watch.run_once()

    [alert] = texts(receiver)
    assert alert.startswith("Runner runner-gone went down holding 2 jobs")


async def test_without_a_webhook_alerts_are_recorded_and_say_why_they_were_not_sent(
    db: asyncpg.Connection, receiver: Receiver, evaluator: Any, api: httpx.AsyncClient
) -> None:
    await fail_jobs(db, 1)

    await evaluator(webhook_url=None).run_once()

    [alert] = (await api.get("/alerts")).json()["alerts"]
    assert (alert["sent_at"], alert["error"]) == (
        None,
        "not sent: neither ALERT_WEBHOOK_URL nor ALERT_EMAIL is set",
    )
    assert receiver.requests == []


async def test_alerts_are_mailed_to_alert_email_through_the_runners_smtp_server(
    db: asyncpg.Connection,
    receiver: Receiver,
    evaluator: Any,
    api: httpx.AsyncClient,
    smtp_server: LocalSmtpServer,
) -> None:
    await fail_jobs(db, 3)
    user, password = SMTP_LOGIN
    mailing = evaluator(
        email_to=("ops@example.com", "oncall@example.com"),
        smtp_url=SecretStr(
            f"smtp://{user}:{quote(password, safe='')}@127.0.0.1:{smtp_server.port}"
        ),
        smtp_from="Jobdeck <alerts@example.com>",
    )

    assert await mailing.run_once() == 1

    [mail] = smtp_server.mailbox.delivered
    assert smtp_server.mailbox.logins == [SMTP_LOGIN]
    assert (mail.mail_from, mail.rcpt_tos) == (
        "alerts@example.com",
        ["ops@example.com", "oncall@example.com"],
    )
    assert mail.message["Subject"].startswith("Jobdeck alert: 3 email jobs failed for good")
    body = mail.message.get_content()
    assert "see them: https://jobs.example.com/jobs?status=failed&type=email" in body
    assert len(texts(receiver)) == 1  # the webhook too
    [alert] = (await api.get("/alerts")).json()["alerts"]
    assert alert["sent_at"] and alert["error"] is None


async def test_a_refused_alert_mail_is_recorded_with_the_servers_answer(
    db: asyncpg.Connection, evaluator: Any, api: httpx.AsyncClient, smtp_server: LocalSmtpServer
) -> None:
    await fail_jobs(db, 1)
    smtp_server.mailbox.refusals["ops@example.com"] = "550 5.1.1 No such user"

    await evaluator(
        webhook_url=None, email_to=("ops@example.com",), smtp_url=SecretStr(smtp_server.url)
    ).run_once()

    [alert] = (await api.get("/alerts")).json()["alerts"]
    assert alert["sent_at"] is None
    assert alert["error"] == "not mailed: refused ops@example.com: 550"
