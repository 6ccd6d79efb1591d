"""A job's result as PostgreSQL can store it: refused, naming `result`, when it cannot be."""

import json
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from job_contract.bounds import DEFAULT_MAX_RESULT_BYTES
from job_contract.results import MAX_RESULT_BYTES_KEY
from job_contract.worker_api import CompleteBatchBody, CompleteBody


def refusal(body: bytes, **context: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as refused:
        CompleteBody.model_validate_json(body, context=context or None)
    [error] = refused.value.errors()
    return dict(error)


@pytest.mark.parametrize(
    ("result", "says"),
    [
        (b'{"note": "a\\u0000b"}', "NUL"),
        (b'{"a\\u0000": 1}', "NUL"),  # in a key
        (b'{"deep": [{"er": ["\\\\\\u0000"]}]}', "NUL"),  # an escaped backslash, then a NUL
        (b'{"ratio": NaN}', "finite"),
        (b'{"ratio": Infinity}', "finite"),
        (b'{"ratio": -Infinity}', "finite"),
        (b'{"ratio": 1e400}', "finite"),  # JSON, but a float cannot hold it
    ],
)
def test_a_result_postgresql_cannot_store_is_refused_naming_it(result: bytes, says: str) -> None:
    error = refusal(b'{"result": %s}' % result)

    assert error["loc"] == ("result",)
    assert error["type"] == "result_unstorable"
    assert says in error["msg"]


def test_a_backslash_followed_by_u0000_is_text_not_a_nul() -> None:
    body = CompleteBody.model_validate_json(b'{"result": {"path": "C:\\\\u0000"}}')

    assert body.result == {"path": "C:\\u0000"}
    assert json.loads(body.result_json or "") == body.result


def test_a_result_over_the_limit_is_refused_with_its_size() -> None:
    big = {"text": "x" * DEFAULT_MAX_RESULT_BYTES}

    error = refusal(json.dumps({"result": big}).encode())

    assert error["loc"] == ("result",)
    assert error["msg"] == (
        f"must be at most {DEFAULT_MAX_RESULT_BYTES} bytes as JSON;"
        f" it is {DEFAULT_MAX_RESULT_BYTES + 11}"
    )


def test_the_limit_is_the_services_when_it_says_one_and_counts_utf8_bytes() -> None:
    result = b'{"result": {"name": "\xe5\xa0\xb1\xe5\x91\x8a"}}'  # 報告: 6 bytes, 2 characters

    error = refusal(result, **{MAX_RESULT_BYTES_KEY: 16})

    assert error["msg"] == "must be at most 16 bytes as JSON; it is 17"


def test_in_a_batch_each_refused_result_is_set_aside_by_its_index() -> None:
    jobs = [
        {"id": str(uuid4()), "result": {"x": "\x00"}},
        {"id": str(uuid4()), "result": {}},
        {"id": str(uuid4()), "result": {"ratio": float("nan")}},
    ]

    body = CompleteBatchBody.model_validate_json(json.dumps({"jobs": jobs}))

    assert sorted(body.rejected) == [0, 2]
    assert "NUL" in body.rejected[0]
    assert "finite" in body.rejected[2]
    assert body.results_json[1] == "{}"


def test_a_completion_carries_its_results_json_to_the_store_as_validated() -> None:
    body = CompleteBody.model_validate_json(b'{"result": {"sent": 3, "to": ["ada"]}, "attempt": 2}')
    empty = CompleteBody.model_validate_json(b"{}")

    assert body.result_json == '{"sent":3,"to":["ada"]}'
    assert empty.result_json is None


def test_a_batch_carries_each_results_json_in_order() -> None:
    jobs = [{"id": str(uuid4()), "result": {"n": n}} for n in range(3)] + [{"id": str(uuid4())}]

    body = CompleteBatchBody.model_validate_json(json.dumps({"jobs": jobs}))

    assert body.results_json == ['{"n":0}', '{"n":1}', '{"n":2}', None]
