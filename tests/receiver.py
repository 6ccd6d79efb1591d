"""A real HTTP receiver on loopback for callbacks and alerts: it keeps each request's headers
and raw body (signatures are checked over the bytes), and answers as a test tells it."""

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0  # sleep first: a slow receiver, or one that times out
    body: bytes = b'{"ok": true}'


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic()
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Receiver:
    url: str  # …/hook
    base_url: str
    requests: list[Request] = field(default_factory=list)
    answers: deque[Answer] = field(default_factory=deque)  # then 200s

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def ids(self) -> list[str]:
        return [request.headers["webhook-id"] for request in self.requests]


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver = self.server.receiver
        with self.server.lock:
            receiver.requests.append(
                Request(
                    time.monotonic(),
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    body,
                )
            )
            answer = receiver.answers.popleft() if receiver.answers else Answer()
        if answer.delay_seconds:
            time.sleep(answer.delay_seconds)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up waiting (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `requests`."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver
    lock: threading.Lock


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    server.receiver, server.lock = (
        Receiver(url=f"{base_url}/hook", base_url=base_url),
        threading.Lock(),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
