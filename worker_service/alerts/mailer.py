"""Alerts by e-mail to ALERT_EMAIL, through the SMTP server the runners send mail with: the
same SMTP_URL and SMTP_FROM, read by the same parser (runner/smtp_url.py)."""

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from worker_service.runner.smtp_url import SmtpServer, parse_smtp_url

# Per SMTP command (connect, login, DATA): the runners' bound too.
SMTP_COMMAND_TIMEOUT_SECONDS = 10
# A Slack link, <url|label>, reads as "label: url" in a mail.
_SLACK_LINK = re.compile(r"<([^|<>]+)\|([^<>]+)>")
SUBJECT_CHARS = 120


@dataclass(frozen=True)
class AlertMailer:
    server: SmtpServer
    sender: str  # SMTP_FROM, may carry a display name
    recipients: tuple[str, ...]

    @classmethod
    def configured(cls, smtp_url: str, sender: str, recipients: tuple[str, ...]) -> "AlertMailer":
        return cls(parse_smtp_url(smtp_url), sender, recipients)

    async def send(self, text: str) -> str | None:
        """Mail one alert; None once the server accepted it, else why not (never a secret:
        the server's answer or the error's kind)."""
        plain = _SLACK_LINK.sub(r"\2: \1", text)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        first_line = " ".join(plain.split())
        message["Subject"] = f"Jobdeck alert: {first_line[:SUBJECT_CHARS]}"
        message["Date"] = formatdate(usegmt=True)
        message.set_content(plain)
        try:
            await aiosmtplib.send(
                message,
                sender=parseaddr(self.sender)[1],
                recipients=list(self.recipients),
                hostname=self.server.hostname,
                port=self.server.port,
                username=self.server.username,
                password=self.server.password,
                use_tls=self.server.use_tls,
                start_tls=self.server.start_tls,
                timeout=SMTP_COMMAND_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = "; ".join(f"{r.recipient}: {r.code}" for r in error.recipients)
            return f"not mailed: refused {refused}"
        except aiosmtplib.SMTPResponseException as error:
            return f"not mailed: SMTP {error.code} {error.message[:200]}"
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return f"not mailed: {type(error).__name__}"
        return None


def email_addresses(raw: str) -> tuple[str, ...]:
    """ALERT_EMAIL: one or more addresses, comma-separated; ValueError naming a bad one."""
    addresses = tuple(part.strip() for part in raw.split(",") if part.strip())
    for address in addresses:
        if "@" not in address or parseaddr(address)[1] != address:
            raise ValueError(f"{address!r} is not an e-mail address (name@example.com)")
    return addresses
