"""The leaderboards' receivers of the challenge substrate's signals (hedge.challenges.signals)."""

from __future__ import annotations

import contextlib
import datetime

from . import selectors
from .errors import NoActiveSeason
from .models import GAIN_WINDOWS, LeaderboardDef
from .periods import derive_period, previous_period


def history_needed_by_leaderboards(sender, *, now: datetime.datetime, **kwargs) -> datetime.datetime | None:
    """The earliest start of a period an active board still ranks: its current one, or the previous until its final."""
    starts = []
    for definition in LeaderboardDef.objects.filter(is_active=True, time_window__in=GAIN_WINDOWS):
        previous = previous_period(definition.time_window, now=now)
        if previous is not None and not selectors.has_final_run(definition.key, previous):
            starts.append(previous.start)
        with contextlib.suppress(NoActiveSeason):
            starts.append(derive_period(definition.time_window, now=now).start)
    return min(starts, default=None)
