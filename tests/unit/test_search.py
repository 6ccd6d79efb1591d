"""The `q` search helpers: id prefixes become key ranges, LIKE wildcards are literal."""

from uuid import UUID

import pytest

from producer_api.search import _escape_like, uuid_prefix_range


def test_hex_prefix_becomes_the_range_of_ids_it_covers() -> None:
    low, high = uuid_prefix_range("0A1b") or (None, None)

    assert low == UUID("0a1b0000-0000-0000-0000-000000000000")
    assert high == UUID("0a1bffff-ffff-ffff-ffff-ffffffffffff")


def test_full_id_is_a_range_of_one() -> None:
    job_id = "3f2c8a9e-1d4b-4c6a-9e8f-0123456789ab"

    assert uuid_prefix_range(job_id) == (UUID(job_id), UUID(job_id))


@pytest.mark.parametrize("q", ["invoice", "user-42", "", "-", "0" * 33])
def test_text_that_cannot_start_an_id_gives_no_range(q: str) -> None:
    assert uuid_prefix_range(q) is None


def test_like_wildcards_and_escapes_are_taken_literally() -> None:
    assert _escape_like(r"100%_a\b") == r"100\%\_a\\b"
