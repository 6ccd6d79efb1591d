"""A handler's error always reaches the worker service: an error it would refuse (empty, with a
NUL, too long) would be lost, and a job that failed for good would be tried again."""

from pydantic import ValidationError

from job_contract.bounds import MAX_ERROR_CHARS
from job_contract.worker_api import FailBody
from worker_service.runner.client import reportable_error


def accepted(error: str) -> bool:
    try:
        FailBody(error=error)
    except ValidationError:
        return False
    return True


def test_errors_the_service_would_refuse_are_made_acceptable() -> None:
    for raw in ("", "SMTP said \x00no", "x" * (MAX_ERROR_CHARS + 5)):
        assert not accepted(raw)
        assert accepted(reportable_error(raw))


def test_an_ordinary_error_is_sent_as_it_is() -> None:
    assert reportable_error("ConnectionRefusedError: [Errno 111]") == (
        "ConnectionRefusedError: [Errno 111]"
    )
    assert reportable_error("a\x00b") == "a\\x00b"
    assert reportable_error("") == "failed without a message"
