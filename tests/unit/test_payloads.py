"""job_contract: payload validation and the schemas the dashboard builds its form from."""

import pytest
from pydantic import ValidationError

from job_contract import JobType, payload_json_schemas, validate_payload
from job_contract.payloads import PAYLOAD_EXAMPLES


@pytest.mark.parametrize("job_type", list(JobType))
def test_each_example_is_a_valid_payload(job_type: JobType) -> None:
    assert validate_payload(job_type, PAYLOAD_EXAMPLES[job_type])


def test_report_range_may_be_a_single_day() -> None:
    payload = {
        **PAYLOAD_EXAMPLES[JobType.REPORT],
        "date_range": {"start": "2026-11-24", "end": "2026-11-24"},
    }

    assert validate_payload(JobType.REPORT, payload)


def test_report_range_backwards_names_the_range() -> None:
    payload = {
        **PAYLOAD_EXAMPLES[JobType.REPORT],
        "date_range": {"start": "2026-11-24", "end": "2026-11-01"},
    }

    with pytest.raises(ValidationError) as error:
        validate_payload(JobType.REPORT, payload)

    assert error.value.errors()[0]["loc"] == ("date_range",)
    assert "start must be on or before end" in str(error.value)


@pytest.mark.parametrize(("field", "limit"), [("subject", 200), ("body", 10_000)])
def test_email_text_limits_are_inclusive(field: str, limit: int) -> None:
    at_limit = {**PAYLOAD_EXAMPLES[JobType.EMAIL], field: "x" * limit}
    over = {**PAYLOAD_EXAMPLES[JobType.EMAIL], field: "x" * (limit + 1)}

    assert validate_payload(JobType.EMAIL, at_limit)
    with pytest.raises(ValidationError):
        validate_payload(JobType.EMAIL, over)


def test_schemas_list_required_fields_and_choices() -> None:
    schemas = payload_json_schemas()

    assert set(schemas[JobType.NOTIFICATION]["required"]) == {"user_id", "channel", "message"}
    assert schemas[JobType.NOTIFICATION]["properties"]["channel"]["enum"] == [
        "push",
        "sms",
        "email",
    ]
    assert schemas[JobType.EMAIL]["properties"]["to"]["format"] == "email"
    assert schemas[JobType.EMAIL]["additionalProperties"] is False
