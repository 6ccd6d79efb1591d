"""ARCHIVE_DIR: deleted jobs appended to jobs-YYYY-MM-DD.ndjson (their finish date, UTC).

`append()` returns only once the lines are on disk (fsync), and the cleaner calls it before
its delete commits: a crash in between leaves a job both archived and in the database, so
the next run writes its line again. A duplicate line at worst, never a lost one.
"""

import os
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path


def archive_file_name(finished_at: datetime) -> str:
    return f"jobs-{finished_at.astimezone(UTC).date().isoformat()}.ndjson"


class Archive:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def append(self, lines: Iterable[tuple[datetime, bytes]]) -> list[str]:
        """Append each (finish time, line) to its day's file, durably; the files' names."""
        by_file: dict[str, list[bytes]] = defaultdict(list)
        for finished_at, line in lines:
            by_file[archive_file_name(finished_at)].append(line)
        if not by_file:
            return []
        self.directory.mkdir(parents=True, exist_ok=True)
        created = False
        for name, day_lines in sorted(by_file.items()):
            path = self.directory / name
            created |= not path.exists()
            # One write per file and batch, O_APPEND: two cleaners appending to the same day
            # (replicas sharing the directory) cannot interleave within a line.
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                _write_all(descriptor, b"".join(day_lines))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        if created:
            _fsync_directory(self.directory)  # a new file's name must survive a crash too
        return sorted(by_file)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
