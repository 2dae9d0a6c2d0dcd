"""A final run's awards as a CSV download (admin: "Download CSV" of awards on the run's page)."""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse

from hedge.core.exports import CHUNK_SIZE, streaming_csv
from leaderboards.models import LeaderboardRun

from .models import LeaderboardAward

HEADER = (
    "position",
    "rank",
    "cluster_id",
    "score",
    "prize",
    "kind",
    "quantity",
    "data",
    "status",
    "reference",
    "settled_at",
)
_COLUMNS = (
    "position",
    "rank",
    "cluster_id",
    "score",
    "name",
    "kind",
    "quantity",
    "data",
    "status",
    "reference",
    "settled_at",
)


def run_awards_csv(run: LeaderboardRun) -> StreamingHttpResponse:
    """Every award of `run` by position, streamed in chunks (leaderboard_awards_run_idx); `data` as JSON text."""
    rows = (
        LeaderboardAward.objects.filter(run_id=run.pk)
        .order_by("position", "id")
        .values_list(*_COLUMNS)
        .iterator(CHUNK_SIZE)
    )
    filename = f"{run.leaderboard_id}-run-{run.pk}-awards-{run.period_start:%Y%m%dT%H%M}Z.csv"
    return streaming_csv(filename, HEADER, (_row(values) for values in rows))


def _row(values: tuple) -> tuple:
    *head, data, status, reference, settled_at = values
    return (
        *head,
        json.dumps(data, sort_keys=True),
        status,
        reference or "",
        settled_at.isoformat() if settled_at else "",
    )
