"""A try follows a redirect only to an address it may reach: the receiver here stands for a
public host (the policy admits its loopback address and nothing else that is not public)."""

import ipaddress

from tests.receiver import Answer, Receiver
from worker_service.callbacks.addresses import Address, is_public
from worker_service.callbacks.sender import Sender, Verdict

RECEIVER = ipaddress.ip_address("127.0.0.1")


def public_or_the_receiver(address: Address) -> bool:
    return address == RECEIVER or is_public(address)


async def test_a_redirect_to_the_metadata_address_is_refused_for_good(receiver: Receiver) -> None:
    receiver.answer(Answer(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))
    sender = Sender(2, public_or_the_receiver)
    result = await sender.send(receiver.url, {}, b"{}")
    await sender.close()

    assert result.verdict is Verdict.GIVE_UP
    assert result.error is not None and "169.254.169.254" in result.error
    assert len(receiver.requests) == 1


async def test_a_redirect_to_an_allowed_place_is_followed_with_the_same_signed_post(
    receiver: Receiver,
) -> None:
    receiver.answer(Answer(308, headers={"Location": "/moved"}))
    headers = {"webhook-id": "msg_1", "webhook-signature": "v1,abc"}
    sender = Sender(2, public_or_the_receiver)
    result = await sender.send(receiver.url, headers, b'{"a": 1}')
    await sender.close()

    assert (result.verdict, result.status_code) == (Verdict.DELIVERED, 200)
    first, moved = receiver.requests
    assert moved.path == "/moved" and moved.body == b'{"a": 1}'
    assert moved.headers["webhook-signature"] == "v1,abc"
    assert moved.headers["host"] == first.headers["host"]
