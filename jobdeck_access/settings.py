"""The settings both APIs share: who may reach them, from where, and how much they accept."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

DEFAULT_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]


class ServedSettings(BaseSettings):
    """Every HTTP service: the Host names it answers to. A request for any other name is
    refused (400), which closes DNS rebinding: a page that makes evil.example resolve to
    127.0.0.1 still sends `Host: evil.example`."""

    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=DEFAULT_ALLOWED_HOSTS, description="comma-separated; `*` allows any"
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)


class ApiSettings(ServedSettings):
    """The producer API and the worker service."""

    # Browser origins allowed to call the API (CORS) and to change things through it.
    cors_origins: Annotated[list[str], NoDecode] = Field(default=[])
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # A revoked token keeps working this long in each process (answers are cached).
    token_cache_seconds: float = Field(default=5, ge=0, le=300)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_comma_separated(cls, value: object) -> object:
        return _split(value)


def _split(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value
