"""A report's file name, read from the producer API's answer and handed on as RFC 6266 says."""

import pytest

from frontend.downloads import filename_of, safe_filename
from job_contract.artifacts import download_headers


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="jobs_summary.csv"', "jobs_summary.csv"),
        ("attachment; filename=plain.pdf", "plain.pdf"),
        ('attachment; filename="say \\"hi\\".csv"', 'say "hi".csv'),
        # filename* wins, wherever it stands
        ("attachment; filename=\"__.csv\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.csv", "報告.csv"),
        ("attachment; filename*=utf-8''%E5%A0%B1%E5%91%8A.csv; filename=\"__.csv\"", "報告.csv"),
        ("attachment; filename*=iso-8859-1'en'caf%E9.csv", "café.csv"),
        # a charset or bytes it cannot read: the plain name
        ("attachment; filename*=klingon''%FF; filename=\"ok.csv\"", "ok.csv"),
        ("attachment; filename*=UTF-8''%FF%FE; filename=\"ok.csv\"", "ok.csv"),
        ("attachment", None),
        ("", None),
        (None, None),
    ],
)
def test_the_file_name_is_read_from_content_disposition(header: str | None, name: str) -> None:
    assert filename_of(header) == name


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("報告.csv", "報告.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\report.pdf", "report.pdf"),
        ('say "hi"\r\n.csv', "say hi.csv"),
        ("\u202egpj.exe", "gpj.exe"),  # a right-to-left override is a control character
        ("...", "fallback"),
        ("", "fallback"),
        (None, "fallback"),
        ("a" * 300 + ".csv", "a" * 200),
    ],
)
def test_a_file_name_loses_folders_control_characters_and_quotes(
    name: str | None, safe: str
) -> None:
    assert safe_filename(name, "fallback") == safe


def attachment(name: str) -> str:
    return download_headers(name)["Content-Disposition"]


def test_the_header_gives_an_ascii_name_and_the_exact_one_in_utf_8() -> None:
    assert attachment("報告 2026.csv") == (
        "attachment; filename=\"__ 2026.csv\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%202026.csv"
    )
    assert attachment("100% done.csv").startswith('attachment; filename="100_ done.csv"')
    assert attachment("a;b.csv").endswith("filename*=UTF-8''a%3Bb.csv")
