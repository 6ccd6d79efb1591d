"""The job list's URL state: forgiving to read, tidy to write."""

from starlette.datastructures import QueryParams

from frontend.job_query import JobQuery
from job_contract.bounds import MAX_OFFSET


def query(text: str) -> JobQuery:
    return JobQuery.from_params(QueryParams(text))


def test_defaults_write_no_query_string() -> None:
    assert query("").url() == "/jobs"
    assert query("q=&priority=&limit=20&sort=created_at&order=desc&page=1").url() == "/jobs"


def test_known_values_survive_a_round_trip() -> None:
    text = (
        "q=grace&status=failed&status=pending&type=email&priority=5"
        "&sort=priority&order=asc&limit=50&page=3"
    )

    assert query(query(text).query_string()) == query(text)
    assert query(text).offset == 100


def test_unknown_values_are_dropped() -> None:
    parsed = query("status=bogus,failed&type=fax&priority=9&sort=id;drop&order=up&limit=7&page=-1")

    assert parsed == JobQuery(statuses=("failed",))


def test_the_api_gets_offsets_and_repeated_filters() -> None:
    params = query("status=failed&type=email&type=report&page=2&limit=10").api_params()

    assert ("offset", 10) in params
    assert [value for name, value in params if name == "type"] == ["email", "report"]


def test_select_all_matching_sends_the_lists_filters_and_nothing_of_its_page() -> None:
    filters = query("q=zebra&status=failed&type=email&type=report&priority=2&page=3&sort=type")

    assert filters.api_filter() == {
        "status": "failed",
        "type": ["email", "report"],
        "priority": "2",
        "q": "zebra",
    }
    assert query("page=2").api_filter() == {}


def test_a_column_sorts_its_natural_way_first_then_flips() -> None:
    newest_first = JobQuery()

    assert newest_first.sort_url("created_at") == "/jobs?order=asc"
    assert newest_first.sort_url("priority") == "/jobs?sort=priority"
    assert newest_first.sort_url("type") == "/jobs?sort=type&order=asc"
    assert query("page=4").sort_url("status") == "/jobs?sort=status&order=asc"  # back to page 1


def test_clearing_filters_keeps_the_view() -> None:
    assert (
        query("q=x&status=failed&sort=priority&limit=50").cleared_url()
        == "/jobs?sort=priority&limit=50"
    )


def test_numbers_int_cannot_read_or_nobody_could_reach_fall_back_to_the_defaults() -> None:
    # "²".isdigit() is True; int() reads no more than 4,300 digits.
    for text in ("page=²&limit=²", "page=١٢", f"page={'9' * 5000}&limit={'1' * 5000}", "page=0"):
        assert query(text) == JobQuery(), text


def test_a_page_past_the_last_one_the_api_lists_is_the_last_one_it_lists() -> None:
    far = query("page=999999999&limit=100")

    assert far.offset == MAX_OFFSET
    assert query(far.query_string()) == far
