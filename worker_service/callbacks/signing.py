"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by the
`standardwebhooks` package (the specification's own Python library).

A secret is `whsec_` + base64 of its bytes. The signature is `v1,` + base64 of HMAC-SHA256 over
`{webhook-id}.{webhook-timestamp}.{body}`; while rotating, one per secret, space-separated.
"""

import base64
import binascii
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
# Fewer random bytes than this is a guessable key (the specification suggests 24 to 64).
MIN_SECRET_BYTES = 24


def secret_bytes(secret: str) -> bytes:
    """The key inside a `whsec_…` secret; ValueError saying what is wrong (never the value).
    Stricter than the library, which pads and skips characters that are not base64: a typo
    in a secret must stop the service, not sign with another key."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError(f"must be {SECRET_PREFIX} followed by base64") from None
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"must hold at least {MIN_SECRET_BYTES} random bytes (32 recommended)")
    return key


class WebhookSigner:
    """Signs with each configured key: the current secret, and the next one while rotating."""

    def __init__(self, keys: list[bytes]) -> None:
        self._signers = [Webhook(key) for key in keys]

    @property
    def signs(self) -> bool:
        return bool(self._signers)

    def headers(self, message_id: str, timestamp: int, body: str) -> dict[str, str]:
        headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
        if self._signers:
            at = datetime.fromtimestamp(timestamp, UTC)
            headers["webhook-signature"] = " ".join(
                signer.sign(message_id, at, body) for signer in self._signers
            )
        return headers
