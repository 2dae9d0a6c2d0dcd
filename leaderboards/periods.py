"""The period a leaderboard run covers: half-open [start, end), computed in LEADERBOARD_TIMEZONE, returned in UTC."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings

from seasons.selectors import get_active_season

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
