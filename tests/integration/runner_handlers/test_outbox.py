"""The outbox writes whole files or nothing."""

import os
from pathlib import Path

import pytest

from worker_service.runner import outbox


async def test_outbox_file_is_written_with_its_directories(tmp_path: Path) -> None:
    path = tmp_path / "outbox" / "email" / "job.eml"

    await outbox.write_outbox_file(path, b"Subject: hi\n\nhello\n")

    assert path.read_bytes() == b"Subject: hi\n\nhello\n"
    assert os.listdir(path.parent) == ["job.eml"]


async def test_rewriting_an_outbox_file_replaces_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    await outbox.write_outbox_file(path, b'{"try": 1, "padding": "' + b"x" * 10_000 + b'"}')

    await outbox.write_outbox_file(path, b'{"try": 2}')

    assert path.read_bytes() == b'{"try": 2}'
    assert os.listdir(tmp_path) == ["job.json"]


async def test_a_write_that_fails_leaves_neither_a_partial_file_nor_a_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outbox.os, "fsync", disk_full)
    path = tmp_path / "job.eml"

    with pytest.raises(OSError, match="No space left"):
        await outbox.write_outbox_file(path, b"Subject: hi\n\nhello\n")

    assert os.listdir(tmp_path) == []


async def test_a_failed_rewrite_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "job.eml"
    await outbox.write_outbox_file(path, b"first")

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outbox.os, "fsync", disk_full)
    with pytest.raises(OSError):
        await outbox.write_outbox_file(path, b"second")

    assert path.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["job.eml"]
