"""The callback rules that need no network: which addresses are public, how long to wait
before the next try, Retry-After, and what a secret must look like."""

import base64
import ipaddress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from job_contract.callbacks import check_callback_url
from jobdeck_runtime.settings import load_settings
from worker_service.callbacks.addresses import is_public
from worker_service.callbacks.deliverer import (
    MAX_BACKOFF_SECONDS,
    CallbackDeliverer,
    DelivererSettings,
)
from worker_service.callbacks.sender import MAX_RETRY_AFTER_SECONDS, _retry_after
from worker_service.callbacks.signing import WebhookSigner, secret_bytes
from worker_service.settings import Settings


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "::ffff:127.0.0.1",  # loopback spelled as IPv6
    ],
)
def test_private_loopback_link_local_and_metadata_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_the_back_off_doubles_with_jitter_and_honours_retry_after() -> None:
    deliverer = CallbackDeliverer.__new__(CallbackDeliverer)
    deliverer.settings = DelivererSettings(retry_base_seconds=5)

    waits = [deliverer._backoff(tries, None) for tries in (1, 2, 3) for _ in range(50)]

    assert all(2.5 <= wait <= 7.5 for wait in waits[:50])
    assert all(5 <= wait <= 15 for wait in waits[50:100])
    assert all(10 <= wait <= 30 for wait in waits[100:])
    assert len(set(waits)) > 100  # jittered, not in lockstep
    assert deliverer._backoff(40, None) == MAX_BACKOFF_SECONDS
    assert deliverer._backoff(1, 42.0) == 42.0


def test_retry_after_reads_seconds_or_an_http_date_and_is_bounded() -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)

    assert _retry_after("30") == 30
    assert 80 <= (_retry_after(soon) or 0) <= 91
    assert _retry_after("-5") == 0
    assert _retry_after("9999999") == MAX_RETRY_AFTER_SECONDS
    assert _retry_after("soon") is None and _retry_after(None) is None


def test_a_secret_must_be_whsec_and_base64_of_enough_bytes() -> None:
    good = "whsec_" + base64.b64encode(bytes(range(32))).decode()

    assert secret_bytes(good) == bytes(range(32))
    for bad, why in [
        ("c2VjcmV0", "must start with whsec_"),
        ("whsec_not base64!", "followed by base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "at least 24"),
    ]:
        with pytest.raises(ValueError, match=why):
            secret_bytes(bad)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBHOOK_SECRET", "whsec_tooshortbutsecret"),
        ("ALERT_WEBHOOK_URL", "hooks.example.com/services/T0/B0/sekrit"),
    ],
)
def test_a_bad_secret_stops_the_service_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as refused:
        load_settings(Settings)

    assert f"{name}: " in str(refused.value)
    assert value.rsplit("/", 1)[-1].removeprefix("whsec_") not in str(refused.value)


def test_unsigned_without_a_secret() -> None:
    headers = WebhookSigner([]).headers("msg_1", 1_700_000_000, "{}")

    assert headers == {"webhook-id": "msg_1", "webhook-timestamp": "1700000000"}


@pytest.mark.parametrize("url", ["https://example.com/hook?x=1", "http://10.0.0.1:8080/h"])
def test_callback_urls_are_any_http_url_with_a_host(url: str) -> None:
    assert check_callback_url(url) == url
