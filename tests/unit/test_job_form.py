"""The create form built from the payload schemas the API publishes, and the way back."""

from frontend.job_form import FieldGroup, FormField, field_errors, job_request, payload_fields
from job_contract import JobType, payload_json_schemas

SCHEMAS = payload_json_schemas()


def widgets(job_type: JobType) -> dict[str, str]:
    found = {}
    for item in payload_fields(SCHEMAS[job_type]):
        for leaf in item.fields if isinstance(item, FieldGroup) else (item,):
            found[leaf.name] = leaf.widget
    return found


def test_each_schema_becomes_fitting_inputs() -> None:
    assert widgets(JobType.EMAIL) == {
        "payload.to": "email",
        "payload.subject": "text",
        "payload.body": "textarea",
    }
    assert widgets(JobType.REPORT) == {
        "payload.report_type": "select",
        "payload.format": "select",
        "payload.date_range.start": "date",
        "payload.date_range.end": "date",
    }
    assert widgets(JobType.NOTIFICATION)["payload.message"] == "textarea"


def test_fields_carry_labels_options_and_limits() -> None:
    report = payload_fields(SCHEMAS[JobType.REPORT])
    notification = payload_fields(SCHEMAS[JobType.NOTIFICATION])

    assert report[0] == FormField(
        "payload.report_type",
        "Report type",
        "select",
        required=True,
        options=("jobs_summary", "failures", "throughput"),
    )
    assert isinstance(report[2], FieldGroup) and report[2].label == "Date range"
    assert notification[0].label == "User ID"
    assert notification[0].max_length == 100


def test_the_request_nests_dotted_names_and_leaves_blanks_out() -> None:
    fields = payload_fields(SCHEMAS[JobType.REPORT])
    form = {
        "payload.report_type": "failures",
        "payload.format": "",
        "payload.date_range.start": "2026-11-01",
        "payload.date_range.end": "2026-11-02",
        "priority": "4",
        "scheduled_for": " ",
        "payload.smuggled": "ignored",
    }

    assert job_request("report", fields, form) == (
        {
            "type": "report",
            "priority": 4,
            "payload": {
                "report_type": "failures",
                "date_range": {"start": "2026-11-01", "end": "2026-11-02"},
            },
        },
        {},
    )


def test_api_errors_are_placed_by_field_name() -> None:
    errors = [
        {"type": "missing", "loc": ["body", "email", "payload", "to"], "msg": "Field required"},
        {
            "type": "value_error",
            "loc": ["body", "email", "payload", "date_range"],
            "msg": "Value error, start must be on or before end",
        },
        {
            "type": "less_than_equal",
            "loc": ["body", "email", "priority"],
            "msg": "Input should be less than or equal to 5",
        },
    ]

    assert field_errors("email", errors) == {
        "payload.to": "This field is required.",
        "payload.date_range": "Start must be on or before end.",
        "priority": "Input should be less than or equal to 5.",
    }
