"""API tokens: random secrets shown once; only their SHA-256 is stored.

A token carries 256 random bits, so a fast hash is enough: nobody can guess one from its
digest by trying candidates, which is what slow password hashes guard against.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from jobdeck_access.roles import Role

PREFIX = "jd_"
# "jd_" and 43 URL-safe characters (32 random bytes): recognisable in a config file or a
# secret scanner, and cheap to refuse before hashing when it cannot be one of ours.
_SHAPE = re.compile(r"^jd_[A-Za-z0-9_-]{43}$")


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def looks_like_token(text: str) -> bool:
    return bool(_SHAPE.match(text))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: the token's name and role."""

    token_id: UUID
    name: str
    role: Role
    expires_at: datetime | None


class TokenNameTaken(Exception):
    """Another token already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a token named {name!r} already exists")


class TokenNotFound(Exception):
    """No token has this id or name."""

    def __init__(self, which: str) -> None:
        super().__init__(f"no token {which}")
