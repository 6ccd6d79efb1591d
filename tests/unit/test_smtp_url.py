"""SMTP_URL: host, port, credentials and TLS mode, or a refusal naming the setting."""

import pytest

from worker_service.runner.smtp_url import SmtpServer, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://ada:p%40ss@mail.example.com:2525",
            SmtpServer("mail.example.com", 2525, "ada", "p@ss", False, None),
        ),
        (
            "smtp://mail.example.com?starttls=1",
            SmtpServer("mail.example.com", None, None, None, False, True),
        ),
        (
            "smtp://mail.example.com:25?starttls=0",
            SmtpServer("mail.example.com", 25, None, None, False, False),
        ),
        (
            "smtps://ada:pw@mail.example.com",
            SmtpServer("mail.example.com", None, "ada", "pw", True, False),
        ),
    ],
)
def test_smtp_url_gives_host_port_credentials_and_tls_mode(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_smtp_url_that_is_not_smtp_is_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL must look like smtp://"):
        parse_smtp_url(url)


def test_smtp_url_with_a_port_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="SMTP_URL has no valid port number"):
        parse_smtp_url("smtp://mail.example.com:submission")


@pytest.mark.parametrize(
    "url",
    [
        "http://ada:hunter2-secret@mail.example.com",
        "smtp://ada:hunter2-secret@mail.example.com:submission",
        "smtp://ada:hunter2-secret/x@mail.example.com:25",  # an unencoded "/" in the password
    ],
)
def test_a_refused_smtp_url_is_shown_without_its_password(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_smtp_url(url)

    assert "hunter2-secret" not in str(refused.value)
    assert "ada:***@" in str(refused.value)
