"""The leaderboards' receivers of the challenge substrate's signals (hedge.challenges.signals)."""

from __future__ import annotations

import contextlib
import datetime

from . import selectors
from .errors import NoActiveSeason
from .models import GAIN_WINDOWS, LeaderboardDef
from .periods import derive_period


def history_needed_by_leaderboards(sender, *, now: datetime.datetime, **kwargs) -> datetime.datetime | None:
    """The earliest start of a period an active board still ranks: its current one, or an ended one until its final.

    The ended ones are those cron's catch-up would still make (selectors.due_final_periods).
    """
    starts = []
    for definition in LeaderboardDef.objects.filter(is_active=True, time_window__in=GAIN_WINDOWS):
        due = selectors.due_final_periods(definition, now=now).due
        if due:
            starts.append(due[0].start)
        with contextlib.suppress(NoActiveSeason):
            starts.append(derive_period(definition.time_window, now=now).start)
    return min(starts, default=None)
