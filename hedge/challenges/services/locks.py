"""The progress-writer lock: one ETL run or import writes challenge progress at a time."""

from contextlib import contextmanager

from django.db import connection

from hedge.db import try_exclusive_lock

# An arbitrary, fixed key of PostgreSQL's advisory-lock space ("hedge" in ASCII).
_PROGRESS_LOCK_KEY = 0x6865646765


class ProgressWriteInProgress(Exception):
    """Another ETL run or import is writing progress right now."""


def progress_lock_path() -> str:
    """The lock file of a SQLite database: beside it, named after it."""
    return f"{connection.settings_dict['NAME']}.progress.lock"


@contextmanager
def exclusive_progress_writes():
    """Hold the progress-writer lock, or raise ProgressWriteInProgress: overlapping writers would lose updates."""
    with try_exclusive_lock(key=_PROGRESS_LOCK_KEY, path=progress_lock_path()) as taken:
        if not taken:
            raise ProgressWriteInProgress("another challenge ETL run or progress import is in progress")
        yield
