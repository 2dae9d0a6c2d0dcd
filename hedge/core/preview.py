"""What the admin's previews share: how many rows they show, how long they may run, how they fail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError

from hedge.core.db import is_timeout, statement_timeout

SHOWN = 20
TIMEOUT_SECONDS = 10


class PreviewUnavailable(Exception):
    """The preview cannot be computed now; the message is for staff."""


@contextmanager
def preview_timeout(*, instead: str) -> Iterator[None]:
    """The block's statements stop after TIMEOUT_SECONDS: then PreviewUnavailable, saying what to do `instead`."""
    try:
        with statement_timeout(TIMEOUT_SECONDS):
            yield
    except OperationalError as exc:
        if not is_timeout(exc):
            raise
        raise PreviewUnavailable(
            f"The preview took longer than {TIMEOUT_SECONDS} s and was stopped; {instead}."
        ) from exc
