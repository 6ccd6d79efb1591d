"""Real protocol peers on loopback for the runners' work: an SMTP server (aiosmtpd) and an
HTTP server standing in for the notification webhook. Import the fixtures into a conftest."""

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers import free_port

SMTP_LOGIN = ("ada", "s3cret/pass")  # the "/" shows the URL's password is %-decoded


# --- SMTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """An aiosmtpd handler: keeps what it accepts, and answers `refusals[address]` to a
    RCPT TO of that address (e.g. "550 5.1.1 No such user")."""

    delivered: list[Delivery] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # SMTP carries CRLF line ends; read the message the way a mail client shows it.
        content = cast(bytes, envelope.original_content).replace(b"\r\n", b"\n")
        message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(content))
        self.delivered.append(Delivery(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login = (data.login.decode(), data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == SMTP_LOGIN)


@dataclass(frozen=True)
class LocalSmtpServer:
    mailbox: Mailbox
    url: str  # smtp://127.0.0.1:<port>, no credentials
    port: int


@pytest.fixture
def smtp_server() -> Iterator[LocalSmtpServer]:
    """A real SMTP server on 127.0.0.1 (its own thread and loop). It offers AUTH without
    TLS so the login test can run over loopback; logging in stays optional."""
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=mailbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield LocalSmtpServer(mailbox, f"smtp://127.0.0.1:{controller.port}", controller.port)
    finally:
        controller.stop()


# --- the notification webhook ----------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic(), to check the back-off between tries
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Webhook:
    """What the webhook received, and the statuses it will answer next (then 200s)."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: deque[int] = field(default_factory=deque)


class _WebhookHandler(BaseHTTPRequestHandler):
    server: "_WebhookServer"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        hook = self.server.webhook
        hook.received.append(
            Received(time.monotonic(), self.path, dict(self.headers), json.loads(body))
        )
        status = hook.answers.popleft() if hook.answers else 200
        # Echoes the path it was asked, as many error pages do (tokens live in webhook paths).
        answer = json.dumps({"status": status, "path": self.path}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads `received` instead."""


class _WebhookServer(ThreadingHTTPServer):
    daemon_threads = True
    webhook: Webhook


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A real HTTP server on 127.0.0.1 that records each POST to /hook."""
    server = _WebhookServer(("127.0.0.1", 0), _WebhookHandler)
    server.webhook = Webhook(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.webhook
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
