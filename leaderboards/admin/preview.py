"""What a leaderboard definition would rank right now, computed without writing a run (the admin's Preview).

The definition may be unsaved: the form's values are previewed before anyone commits to them.
The read is the ranking statement itself in its preview form (leaderboards.sql), cut to the top
rows, plus its count, inside a transaction with a statement timeout.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from hedge.core.db import binary_collation, sql_datetime, sql_limit
from hedge.core.preview import SHOWN, PreviewUnavailable, preview_timeout

from .. import sql
from ..errors import InvalidPeriod
from ..models import LeaderboardDef
from ..periods import Period, derive_period, season_of
from ..resolve import ResolvedChallenges, resolve_challenges


@dataclass(frozen=True)
class PreviewRow:
    cluster_id: str
    rank: int
    position: int
    score: int
    tiebreaker: int
    fallback_value: int | None


@dataclass(frozen=True)
class DefinitionPreview:
    period: Period
    resolved: ResolvedChallenges
    season_id: str | None  # the season whose points a board of season points ranks
    ranked: int  # clusters a run would rank now
    kept: int  # of which a run keeps (max_entries)
    rows: list[PreviewRow]


def preview_definition(
    definition: LeaderboardDef, *, now: datetime.datetime | None = None, shown: int = SHOWN
) -> DefinitionPreview:
    """The top `shown` entries and the number of clusters a run of `definition` would rank at `now`.

    Writes nothing. Raises ValidationError when the definition does not resolve to its challenges,
    PreviewUnavailable when it has no period now (SEASON between seasons) or the statements take
    longer than hedge.core.preview.TIMEOUT_SECONDS.
    """
    now = now or timezone.now()
    resolved = resolve_challenges(definition)
    try:
        period = derive_period(definition.time_window, now=now)
        season = season_of(period) if resolved.season_points else None
    except InvalidPeriod as exc:
        raise PreviewUnavailable(str(exc)) from exc
    slots = {"rank_function": sql.RANK_FUNCTIONS[definition.rank_mode], "binary": binary_collation()}
    params = {
        "run": None,
        "previous_run": None,
        "leaderboard": definition.key,
        "challenge": resolved.challenge.pk if resolved.challenge else None,
        "fallback": resolved.fallback.pk if resolved.fallback else None,
        "season": season.pk if season else None,
        "now": sql_datetime(now),
        "start": sql_datetime(period.start),
        "until": sql_datetime(min(period.end, now)),
    }
    top = sql.PREVIEW[definition.score_source].format(**slots)
    count = sql.COUNT[definition.score_source].format(**slots)
    with transaction.atomic(), preview_timeout(instead="generate a run instead"), connection.cursor() as cursor:
        cursor.execute(top, {**params, "limit": shown, "shown": shown})
        rows = [PreviewRow(*row) for row in cursor.fetchall()]
        cursor.execute(count, {**params, "limit": sql_limit(0)})
        ranked = cursor.fetchone()[0]
    kept = min(ranked, definition.max_entries) if definition.max_entries else ranked
    return DefinitionPreview(
        period=period,
        resolved=resolved,
        season_id=season.pk if season else None,
        ranked=ranked,
        kept=kept,
        rows=rows,
    )
