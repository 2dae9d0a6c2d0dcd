"""The period a leaderboard run covers: half-open [start, end), computed in LEADERBOARD_TIMEZONE, returned in UTC."""

from __future__ import annotations

import contextlib
import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings

from seasons.models import Season
from seasons.selectors import get_active_season, get_last_ended_season, season_of_period, seasons_ended_between

from .errors import InvalidPeriod, NoActiveSeason
from .models import TimeWindow

UTC = datetime.UTC
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    start: datetime.datetime
    end: datetime.datetime


def _local_midnight(day: datetime.date, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    # Where midnight does not exist (a DST jump at 00:00), fold=0 maps it to the first instant of the day.
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz).astimezone(UTC)


def calendar_period(time_window: str, *, now: datetime.datetime, tz_name: str | None = None) -> Period:
    """The calendar DAILY / WEEKLY (ISO, Monday 00:00) / MONTHLY period containing `now`.

    Boundaries are local midnights in `tz_name` (default settings.LEADERBOARD_TIMEZONE), so a
    day across a DST change is 23 or 25 hours long.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = zoneinfo.ZoneInfo(tz_name or settings.LEADERBOARD_TIMEZONE)
    today = now.astimezone(tz).date()
    if time_window == TimeWindow.DAILY:
        first, following = today, today + datetime.timedelta(days=1)
    elif time_window == TimeWindow.WEEKLY:
        first = today - datetime.timedelta(days=today.weekday())
        following = first + datetime.timedelta(days=7)
    elif time_window == TimeWindow.MONTHLY:
        first = today.replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"{time_window!r} is not a calendar window (DAILY, WEEKLY, MONTHLY)")
    return Period(_local_midnight(first, tz), _local_midnight(following, tz))


def all_time_period(*, now: datetime.datetime) -> Period:
    """From 1970-01-01T00:00Z to the moment of generation."""
    return Period(EPOCH, now.astimezone(UTC))


def derive_period(time_window: str, *, now: datetime.datetime) -> Period:
    """The period of a run generated at `now` for this window.

    SEASON is the active season's [starts_at, ends_at), read through the seasons app's selector;
    NoActiveSeason (an InvalidPeriod) when no season is active at `now`.
    """
    if time_window == TimeWindow.ALL_TIME:
        return all_time_period(now=now)
    if time_window == TimeWindow.SEASON:
        season = get_active_season(now=now)
        if season is None:
            moment = f"{now.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            raise NoActiveSeason(f"No season is active at {moment}, so a SEASON leaderboard has no period.")
        return Period(season.starts_at.astimezone(UTC), season.ends_at.astimezone(UTC))
    return calendar_period(time_window, now=now)


def season_of(period: Period) -> Season:
    """The season whose dates are `period` (the season a board of season points ranks); InvalidPeriod when none."""
    season = season_of_period(period.start, period.end)
    if season is None:
        raise InvalidPeriod(
            f"No season runs exactly from {period.start.isoformat()} to {period.end.isoformat()}:"
            " a board of season points ranks the points of one season, over its dates."
        )
    return season


def explicit_period(start: datetime.datetime | None, end: datetime.datetime | None) -> Period | None:
    """An explicit override: both or neither, timezone-aware, start before end. None when neither is given."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidPeriod("Give both period_start and period_end, or neither.")
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidPeriod("period_start and period_end must be timezone-aware.")
    if start >= end:
        raise InvalidPeriod(f"period_start ({start.isoformat()}) must be before period_end ({end.isoformat()}).")
    return Period(start.astimezone(UTC), end.astimezone(UTC))


def previous_period(time_window: str, *, now: datetime.datetime) -> Period | None:
    """The period of this window that ended last before `now`; None for ALL_TIME or before any season ended.

    Calendar windows: the day, week or month before the current one. SEASON: the season that
    ended last among those ever active (seasons.selectors.get_last_ended_season: never a draft).
    """
    if time_window == TimeWindow.ALL_TIME:
        return None
    if time_window == TimeWindow.SEASON:
        season = get_last_ended_season(now=now)
        if season is None:
            return None
        return Period(season.starts_at.astimezone(UTC), season.ends_at.astimezone(UTC))
    current = calendar_period(time_window, now=now)
    return calendar_period(time_window, now=current.start - datetime.timedelta(microseconds=1))


def periods_ended_between(time_window: str, *, after: datetime.datetime, now: datetime.datetime) -> list[Period]:
    """The periods of this window that ended after `after` and at or before `now`, oldest first; none for ALL_TIME.

    Calendar windows are counted back from the current period (no query); SEASON is the seasons that
    ended then (one query).
    """
    if time_window == TimeWindow.ALL_TIME:
        return []
    if time_window == TimeWindow.SEASON:
        return [
            Period(season.starts_at.astimezone(UTC), season.ends_at.astimezone(UTC))
            for season in seasons_ended_between(after=after, now=now)
        ]
    periods = []
    period = previous_period(time_window, now=now)
    while period.end > after:
        periods.append(period)
        period = calendar_period(time_window, now=period.start - datetime.timedelta(microseconds=1))
    return periods[::-1]


def next_resets(time_windows, *, now: datetime.datetime) -> dict[str, datetime.datetime | None]:
    """When the current period of each window ends (its boards start again); None for ALL_TIME or between seasons.

    At most one query (the active season, when SEASON is among them).
    """
    resets: dict[str, datetime.datetime | None] = {}
    for time_window in set(time_windows):
        resets[time_window] = None
        if time_window != TimeWindow.ALL_TIME:
            with contextlib.suppress(NoActiveSeason):
                resets[time_window] = derive_period(time_window, now=now).end
    return resets


def check_final_period(time_window: str, period: Period, *, now: datetime.datetime) -> None:
    """Raise InvalidPeriod unless `period` can have final standings: it has ended, and the window has periods."""
    if time_window == TimeWindow.ALL_TIME:
        raise InvalidPeriod("An ALL_TIME leaderboard has no periods, so no final runs.")
    if period.end > now:
        raise InvalidPeriod(
            f"The period ends at {period.end.isoformat()}, after now: a final run needs a period that has ended."
        )


def period_label(time_window: str, start: datetime.datetime, *, season_id: str | None = None) -> str:
    """What a person calls the period starting at `start` (in LEADERBOARD_TIMEZONE).

    "1 December 2026", "Week 48, 2026" (ISO week), "December 2026", "Season S1-2026", "All time".
    A SEASON period without a season of its dates (deleted since) is named by its start.
    """
    day = start.astimezone(zoneinfo.ZoneInfo(settings.LEADERBOARD_TIMEZONE)).date()
    if time_window == TimeWindow.DAILY:
        return f"{day.day} {day:%B %Y}"
    if time_window == TimeWindow.WEEKLY:
        year, week, _ = day.isocalendar()
        return f"Week {week}, {year}"
    if time_window == TimeWindow.MONTHLY:
        return f"{day:%B %Y}"
    if time_window == TimeWindow.SEASON:
        return f"Season {season_id}" if season_id else f"Season from {day.day} {day:%B %Y}"
    return "All time"
