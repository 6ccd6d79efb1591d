"""The alert evaluator: a maintenance service that applies the rules and sends what they raise.

Rules (SPEC, Callbacks and alerts): jobs failed for good, grouped per type, at most one
message per type per ALERT_MIN_INTERVAL_SECONDS; a type's failure rate over
ALERT_WINDOW_MINUTES above ALERT_FAILURE_RATE with at least ALERT_MIN_JOBS finished (also at
most once per type per interval); a runner silent past WORKER_DOWN_AFTER_SECONDS while it
holds jobs (once per outage). Every alert is recorded, sent or not, and the dashboard lists
them. Recording and sending are two steps: an alert is recorded once whatever happens to the
POST, and one that could not be sent says why.
"""

from datetime import timedelta
from urllib.parse import urlencode

import httpx
from pydantic import Field, SecretStr

from job_contract.bounds import CALLBACK_EXCERPT_CHARS
from job_contract.callbacks import AlertRule
from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_runtime.maintenance import MaintenanceSettings
from worker_service import metrics
from worker_service.alerts.mailer import AlertMailer
from worker_service.alerts.store import AlertStore, NewAlert, RuleReads

# A first evaluation (nothing alerted yet) counts failures this far back at most.
NOT_CONFIGURED = "not sent: neither ALERT_WEBHOOK_URL nor ALERT_EMAIL is set"
# Alerts sent per pass at most (a backlog goes out over the next passes).
SEND_BATCH = 50


class AlertSettings(MaintenanceSettings):
    """ALERT_* settings take their defaults from here."""

    interval_seconds: float = Field(default=15, gt=0)
    webhook_url: str | None = None
    min_interval_seconds: float = Field(default=300, ge=0)
    window_minutes: float = Field(default=15, gt=0)
    failure_rate: float = Field(default=0.2, ge=0, le=1)
    min_jobs: int = Field(default=20, ge=1)
    runner_down_after_seconds: float = Field(default=30, gt=0)
    dashboard_url: str = "http://localhost:3001"
    timeout_seconds: float = Field(default=10, gt=0)
    # E-mail too, to these addresses through SMTP_URL (the runners' server), from SMTP_FROM.
    email_to: tuple[str, ...] = ()
    smtp_url: SecretStr | None = None
    smtp_from: str = "jobdeck@localhost"


class AlertEvaluator(DatabaseMaintenance[AlertSettings, int]):
    def __init__(self, store: AlertStore, settings: AlertSettings) -> None:
        super().__init__(settings)
        self._store = store
        self._mailer = None
        if settings.email_to and settings.smtp_url is not None:
            self._mailer = AlertMailer.configured(
                settings.smtp_url.get_secret_value(), settings.smtp_from, settings.email_to
            )

    async def run_once(self) -> int:
        """Evaluate the rules, record what they raise, send what is unsent; return how many
        alerts this pass recorded."""
        async with self._store.evaluating() as reads:
            raised = [] if reads is None else await self._raised(reads)
            if reads is not None:
                await reads.record(raised)
        for alert in raised:
            metrics.ALERTS.labels(alert.rule).inc()
        await self._send_unsent()
        return len(raised)

    async def _raised(self, reads: RuleReads) -> list[NewAlert]:
        s = self.settings
        quiet_for = timedelta(seconds=s.min_interval_seconds)
        window = timedelta(minutes=s.window_minutes)
        alerts = [
            self._alert(
                AlertRule.JOBS_FAILED,
                group.type,
                f"{group.failed} {group.type} job{'s' if group.failed != 1 else ''} failed for"
                f" good. Last error: {_short(group.last_error)}"
                f" <{self._link(status='failed', type=group.type)}|see them>",
            )
            for group in await reads.jobs_failed(quiet_for, window)
        ]
        alerts += [
            self._alert(
                AlertRule.FAILURE_RATE,
                rate.type,
                f"{rate.type}: {rate.failed} of {rate.finished} jobs failed in the last"
                f" {s.window_minutes:g} minutes ({rate.failed / rate.finished:.0%}, over"
                f" {s.failure_rate:.0%})."
                f" <{self._link(status='failed', type=rate.type)}|failed jobs>",
            )
            for rate in await reads.failure_rates(quiet_for, window, s.min_jobs, s.failure_rate)
        ]
        alerts += [
            self._alert(
                AlertRule.RUNNER_DOWN,
                runner.worker_id,
                f"Runner {runner.worker_id} went down holding {runner.holding} job"
                f"{'s' if runner.holding != 1 else ''} (last heard from"
                f" {runner.last_heartbeat_at:%Y-%m-%d %H:%M:%S} UTC); their leases will"
                f" expire and they go back to the queue."
                f" <{self.settings.dashboard_url}/workers|runners>",
            )
            for runner in await reads.runners_down(timedelta(seconds=s.runner_down_after_seconds))
        ]
        return alerts

    def _alert(self, rule: AlertRule, subject: str, text: str) -> NewAlert:
        sends = self.settings.webhook_url is not None or self._mailer is not None
        return NewAlert(rule, subject, text, None if sends else NOT_CONFIGURED)

    def _link(self, **filters: str) -> str:
        return f"{self.settings.dashboard_url}/jobs?{urlencode(filters)}"

    async def _send_unsent(self) -> None:
        """Each unsent alert to the webhook and by e-mail, whichever are set; it is marked
        once, sent or saying what failed (a channel that worked is not tried again)."""
        url, mailer = self.settings.webhook_url, self._mailer
        if url is None and mailer is None:
            return
        async with (
            self._store.unsent(SEND_BATCH) as batch,
            httpx.AsyncClient(timeout=self.settings.timeout_seconds, trust_env=False) as client,
        ):
            for alert in batch.alerts:
                failures = [
                    await _post(client, url, alert.text) if url is not None else None,
                    await mailer.send(alert.text) if mailer is not None else None,
                ]
                failed = "; ".join(failure for failure in failures if failure is not None)
                await batch.mark(alert.id, failed or None)


async def _post(client: httpx.AsyncClient, url: str, text: str) -> str | None:
    """POST a Slack-compatible message; None when accepted, else why not."""
    try:
        response = await client.post(url, json={"text": text})
    except httpx.HTTPError as error:
        return f"not sent: {type(error).__name__}"
    if response.is_success:
        return None
    return f"not sent: HTTP {response.status_code} {response.text[:CALLBACK_EXCERPT_CHARS]}"


def _short(error: str | None) -> str:
    if not error:
        return "(none)"
    return error if len(error) <= 200 else error[:199] + "…"
