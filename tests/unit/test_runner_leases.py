"""A runner's own view of a lease: counted on its monotonic clock from what it heard."""

from worker_service.runner.leases import LocalLease


def test_a_lease_runs_out_its_length_after_the_claim_was_heard() -> None:
    lease = LocalLease.heard_at(30, now=100)

    assert not lease.gone(129.9)
    assert lease.gone(130)


def test_a_renewal_counts_from_when_the_heartbeat_was_sent_and_never_shortens() -> None:
    lease = LocalLease.heard_at(30, now=100)

    lease.renew(sent_at=120)
    assert (lease.gone(149.9), lease.gone(150)) == (False, True)
    lease.renew(sent_at=110)  # an older heartbeat answered late
    assert not lease.gone(149.9)


def test_a_lease_the_service_took_back_is_gone_at_once() -> None:
    lease = LocalLease.heard_at(30, now=100)
    lease.lost = True

    assert lease.gone(100)


def test_without_a_length_from_the_service_a_lease_never_runs_out_here() -> None:
    lease = LocalLease.heard_at(None, now=100)
    lease.renew(sent_at=200)

    assert not lease.gone(10**9)
