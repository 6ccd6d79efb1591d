"""String types shared by payloads and requests."""

from pydantic import AfterValidator


def reject_nul(value: str) -> str:
    # PostgreSQL cannot store U+0000 in text or jsonb: refuse it here, with the field's name.
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


# Every free-text field of the contract refuses NUL, which would never reach the database.
NoNul = AfterValidator(reject_nul)
