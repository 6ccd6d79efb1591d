"""The access model: the role ladder, who each table lets in, and what tokens look like."""

from jobdeck_access.roles import (
    ADMINS,
    PRODUCER_API,
    PUBLIC,
    READERS,
    RUNNERS,
    WORKER_SERVICE,
    Role,
    at_least,
    describe,
)
from jobdeck_access.tokens import digest, looks_like_token, new_secret


def test_each_role_on_the_ladder_includes_the_ones_before_it() -> None:
    assert at_least(Role.VIEWER) == {Role.VIEWER, Role.PRODUCER, Role.OPERATOR, Role.ADMIN}
    assert at_least(Role.OPERATOR) == {Role.OPERATOR, Role.ADMIN}
    assert at_least(Role.ADMIN) == ADMINS == {Role.ADMIN}


def test_admin_does_not_include_runner() -> None:
    assert Role.RUNNER not in at_least(Role.VIEWER)
    assert WORKER_SERVICE[("POST", "/process")] == RUNNERS


def test_probes_need_no_token_and_everything_else_does() -> None:
    for table in (PRODUCER_API, WORKER_SERVICE):
        opened = {route for route, access in table.items() if access is PUBLIC}
        assert {("GET", "/healthz"), ("GET", "/metrics")} <= opened
        assert all(method == "GET" for method, _ in opened)
    assert PRODUCER_API[("GET", "/jobs")] == READERS
    assert PRODUCER_API[("POST", "/tokens")] == ADMINS


def test_access_reads_as_the_api_documents_it() -> None:
    assert describe(PUBLIC) == "no token"
    assert describe(ADMINS) == "admin"
    assert describe(at_least(Role.OPERATOR)) == "operator or admin"
    assert describe(READERS) == "viewer, producer, operator or admin"
    assert describe(frozenset()) == "no one"


def test_tokens_are_long_random_and_recognisable() -> None:
    first, second = new_secret(), new_secret()

    assert first != second
    assert first.startswith("jd_") and looks_like_token(first)
    assert len(first) - len("jd_") >= 43  # 32 random bytes, URL-safe base64
    assert digest(first) == digest(first) != digest(second)
    assert not looks_like_token("Bearer " + first)
    assert not looks_like_token(first + "x")
    assert not looks_like_token("jd_short")
