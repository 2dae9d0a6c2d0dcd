"""What a run was computed from, and a checksum of what it published, so anyone can check a board.

The checksum of a run is the SHA-256 (lowercase hex) of its entries in position order, one line
each, every line ended by "\\n":

    position,clusterId,rank,score,tiebreaker

as decimal integers and the cluster id as stored (UTF-8), with no header, spaces or quoting:
`1,alice,1,10,3\\n2,bob,1,10,3\\n3,carol,2,7,0\\n`. A run without entries has the checksum of
nothing (e3b0c442...). The README shows how to check a downloaded board.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from hedge.challenges.models import ChallengeProgressHistory
from hedge.core.db import text_agg, text_line

from . import sql
from .errors import UnknownLeaderboard
from .models import LeaderboardDef, LeaderboardRun, RunStatus
from .resolve import ResolvedChallenges

# Lines read per round trip: the checksum of a million entries holds at most this many in memory.
BATCH_ROWS = 10_000


def entries_checksum(run_id: int) -> str:
    """The checksum of run `run_id`'s entries, read from the database in position order, BATCH_ROWS lines at a time.

    The database builds each batch's lines and joins them into one text (sql.CHECKSUM_BATCH), so a run of a
    million entries crosses to Python as a hundred texts and is never held in memory whole; a run of at most
    BATCH_ROWS entries costs one round trip.
    """
    digest = hashlib.sha256()
    statement = sql.CHECKSUM_BATCH.format(
        line=text_line("e.position", "e.cluster_id", "e.rank", "e.score", "e.tiebreaker", separator="','"),
        joined_lines=text_agg("b.line", separator="%(newline)s"),
    )
    params = {"run": run_id, "after": 0, "rows": BATCH_ROWS, "newline": "\n"}
    with connection.cursor() as cursor:
        while True:
            cursor.execute(statement, params)
            lines, last, text = cursor.fetchone()
            if lines:
                digest.update(text.encode())
                digest.update(b"\n")
            if lines < BATCH_ROWS:
                return digest.hexdigest()
            params["after"] = last


@dataclass(frozen=True)
class RunVerification:
    """A stored run's checksum next to the one recomputed from its stored entries."""

    leaderboard_key: str
    run_id: int
    row_count: int
    stored: str
    computed: str

    @property
    def matches(self) -> bool:
        return self.stored == self.computed


def verify_runs(
    keys: Sequence[str] = (), *, since: datetime.timedelta | None = None, finals_only: bool = False
) -> Iterator[RunVerification]:
    """Recompute the checksum of each COMPLETE run (of leaderboards `keys`, else all): yield it beside the stored one.

    `since`: only runs published that long ago or later; `finals_only`: only final runs. Runs are
    read by leaderboard and id, a few hundred at a time, and each run's entries are streamed
    (entries_checksum): memory stays constant whatever the number of runs and entries. A run
    pruned while it is verified is left out, not reported (its entries are gone with it).
    Raises UnknownLeaderboard for a key that names no leaderboard, before verifying anything.
    """
    runs = LeaderboardRun.objects.filter(status=RunStatus.COMPLETE)
    if keys:
        known = set(LeaderboardDef.objects.filter(key__in=keys).values_list("key", flat=True))
        if unknown := [key for key in keys if key not in known]:
            raise UnknownLeaderboard(unknown[0])
        runs = runs.filter(leaderboard_id__in=keys)
    if since is not None:
        runs = runs.filter(finished_at__gte=timezone.now() - since)
    if finals_only:
        runs = runs.filter(is_final=True)
    rows = runs.order_by("leaderboard_id", "id").values_list("leaderboard_id", "id", "row_count", "checksum")
    for key, run_id, row_count, stored in rows.iterator(chunk_size=500):
        computed = entries_checksum(run_id)
        if computed != stored and not LeaderboardRun.objects.filter(pk=run_id).exists():
            continue  # pruned meanwhile: its entries went with it
        yield RunVerification(key, run_id, row_count, stored, computed)


def definition_snapshot(definition: LeaderboardDef, resolved: ResolvedChallenges, *, season=None) -> dict:
    """The definition as a run uses it: enough to say, later, exactly what the run ranked and how."""
    snapshot = {
        "key": definition.key,
        "challengeCode": resolved.challenge.code if resolved.challenge else None,
        "fallbackChallengeCode": resolved.fallback.code if resolved.fallback else None,
        "timeWindow": definition.time_window,
        "rankMode": definition.rank_mode,
        "maxEntries": definition.max_entries,
        "timezone": settings.LEADERBOARD_TIMEZONE,
    }
    if season is not None:
        snapshot["seasonId"] = season.pk
    return snapshot


def input_watermark(resolved: ResolvedChallenges, *, season=None, until: datetime.datetime) -> datetime.datetime | None:
    """The newest input of the run: for season points, how far the season's points are synced (None: never);
    else the newest history row of its challenges recorded at or before `until` (None: no history yet).

    One backward step down progress_history_window_idx (challenge, recorded_at) per challenge.
    """
    if resolved.season_points:
        return season.points_synced_through
    challenges = [resolved.challenge.pk] + ([resolved.fallback.pk] if resolved.fallback else [])
    newest = [
        ChallengeProgressHistory.objects.filter(challenge_id=challenge, recorded_at__lte=until)
        .order_by("-recorded_at")
        .values_list("recorded_at", flat=True)
        .first()
        for challenge in challenges
    ]
    return max((moment for moment in newest if moment is not None), default=None)
