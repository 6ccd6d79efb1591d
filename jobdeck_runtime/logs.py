"""One logging setup for every service and runner: a line per record, JSON objects with
LOG_FORMAT=json (what containers and deploy/ set) or readable text (the default, `make run`).

The standard library's logging, not structlog: uvicorn, httpx and every other library we use
log through it already, so one handler on the root logger with a small formatter catches all
of them; structlog would still need that same bridge for them. What a line is about (the
request, the job) is bound in a context variable with `bound(...)`, which follows a request
or a job through its awaits and tasks, and a filter copies it onto each record.

Records carry only what callers pass to the logger and `bound(...)`: never a payload, a result
or a token (tests/integration/test_logs.py plants both and reads every line).
"""

import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

LOG_FORMATS: Final = ("text", "json")
# What a line may be about, in the order a text line shows them.
CONTEXT_FIELDS: Final = ("request_id", "job_id", "type", "attempt", "worker_id")

# Never mutated: bound() sets a new mapping, which is why a shared empty default is safe.
_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "jobdeck_log_context", default=MappingProxyType({})
)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Every line logged inside (in this task, and in the tasks it starts) carries `fields`."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current(field: str) -> Any:
    """The value bound for `field` here, or None."""
    return _context.get().get(field)


class _AddContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            setattr(record, name, value)
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, service, logger, message, context, error."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextLines(logging.Formatter):
    """`time level logger: message key=value…`, for people reading a terminal."""

    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(
            f"{name}={value}"
            for name in CONTEXT_FIELDS
            if (value := getattr(record, name, None)) is not None
        )
        return f"{text} {context}" if context else text


def configure(service: str) -> None:
    """Send every logger's records, uvicorn's included, through one handler on stderr.

    LOG_FORMAT (text | json) and LOG_LEVEL (DEBUG, INFO, WARNING, ERROR) are read from the
    environment: they apply before any settings class is read, so a settings error is logged
    in the chosen format too."""
    log_format = os.environ.get("LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise SystemExit(f"Invalid settings: LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    level = os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in logging.getLevelNamesMapping():
        raise SystemExit("Invalid settings: LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines(service) if log_format == "json" else TextLines(service))
    handler.addFilter(_AddContext())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # uvicorn gives its loggers their own handlers and levels (its log config); ours replace
    # them, and LOG_LEVEL decides for them as for every other logger.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.setLevel(logging.NOTSET)
        uvicorn_logger.propagate = True
    # The HTTP clients' own lines (every call at INFO, every socket step at DEBUG) drown
    # ours; the access lines of the service called say the same, with the request id.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
