"""The progress-writer lock: one ETL run or import writes challenge progress at a time.

Writers stamp their rows with a moment read after they took the lock (the ETL run's start, the
import's start) and commit before they release it. So a reader that waits until the lock is free
(`settled_progress_writes`) knows that every write stamped before it began waiting has committed:
a write still to come is stamped later. Final standings and a season's full recompute read
through it (docs/scores.md, "Final values").
"""

import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from hedge.core.db import try_exclusive_lock, wait_until_unlocked

# An arbitrary, fixed key of PostgreSQL's advisory-lock space ("hedge" in ASCII).
PROGRESS_LOCK_KEY = 0x6865646765

# Per thread: inside a writer's own lock or a settled block, no write stamped earlier is in
# flight, so a nested wait is skipped (on SQLite it would wait for this thread's own lock file).
_settled = threading.local()


class ProgressWriteInProgress(Exception):
    """Another ETL run or import is writing progress right now."""


class ProgressWritesInFlight(Exception):
    """An ETL run or import was still writing after the wait allowed (PROGRESS_WRITE_WAIT)."""


def progress_lock_path() -> str:
    """The lock file of a SQLite database: beside it, named after it."""
    return f"{connection.settings_dict['NAME']}.progress.lock"


@contextmanager
def _settled_block():
    _settled.depth = getattr(_settled, "depth", 0) + 1
    try:
        yield
    finally:
        _settled.depth -= 1


@contextmanager
def exclusive_progress_writes():
    """Hold the progress-writer lock, or raise ProgressWriteInProgress: overlapping writers would lose updates."""
    with try_exclusive_lock(key=PROGRESS_LOCK_KEY, path=progress_lock_path()) as taken:
        if not taken:
            raise ProgressWriteInProgress("another challenge ETL run or progress import is in progress")
        with _settled_block():
            yield


@contextmanager
def settled_progress_writes(*, seconds: float | None = None):
    """Enter once no ETL run or import is writing: every progress write stamped before the call has then committed.

    Waits at most `seconds` (default settings.PROGRESS_WRITE_WAIT), then raises
    ProgressWritesInFlight. The lock is not held during the block (writers go on; what they write
    is stamped later). Take `now` before calling: it is what the guarantee covers. Nested calls,
    and calls inside a writer's own lock, do not wait.
    """
    if getattr(_settled, "depth", 0) == 0:
        seconds = settings.PROGRESS_WRITE_WAIT if seconds is None else seconds
        if not wait_until_unlocked(key=PROGRESS_LOCK_KEY, path=progress_lock_path(), seconds=seconds):
            raise ProgressWritesInFlight(
                f"a challenge ETL run or progress import was still writing after {seconds:g} s"
                " (PROGRESS_WRITE_WAIT); values as of a moment before it started are not final yet"
            )
    with _settled_block():
        yield
