"""Standard Webhooks signatures (https://www.standardwebhooks.com): the standard library's
hmac, as no maintained Python package for it is on PyPI here.

A secret is `whsec_` + base64 of its bytes. The signature is `v1,` + base64 of HMAC-SHA256 over
`{webhook-id}.{webhook-timestamp}.{body}`; while rotating, one per secret, space-separated.
"""

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"


def secret_bytes(secret: str) -> bytes:
    """The key inside a `whsec_…` secret; ValueError saying what is wrong (never the value)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError(f"must be {SECRET_PREFIX} followed by base64") from None
    if len(key) < 24:
        raise ValueError("must hold at least 24 random bytes (32 recommended)")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class WebhookSigner:
    """Signs with each configured key: the current secret, and the next one while rotating."""

    def __init__(self, keys: list[bytes]) -> None:
        self._keys = keys

    @property
    def signs(self) -> bool:
        return bool(self._keys)

    def headers(self, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
        if self._keys:
            headers["webhook-signature"] = " ".join(
                signature(key, message_id, timestamp, body) for key in self._keys
            )
        return headers
