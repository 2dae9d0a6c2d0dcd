"""A run's entries as a CSV download (admin: "Download CSV" on a run's page)."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from hedge.core.exports import CHUNK_SIZE, streaming_csv

from ..models import LeaderboardEntry, LeaderboardRun

HEADER = ("position", "rank", "cluster_id", "score", "tiebreaker", "fallback_value", "previous_rank")


def run_entries_csv(run: LeaderboardRun) -> StreamingHttpResponse:
    """Every entry of `run` by position, streamed through a server-side cursor (PostgreSQL) in chunks.

    One query, served by the (run, position) unique index; no more than CHUNK_SIZE rows are held at once.
    """
    rows = LeaderboardEntry.objects.filter(run=run).order_by("position").values_list(*HEADER).iterator(CHUNK_SIZE)
    filename = f"{run.leaderboard_id}-run-{run.pk}-{run.period_start:%Y%m%dT%H%M}Z.csv"
    return streaming_csv(filename, HEADER, rows)
