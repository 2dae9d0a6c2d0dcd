"""A season's progress as a CSV download (admin: "Download CSV" on a season's page)."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from hedge.core.exports import CHUNK_SIZE, streaming_csv

from ..models import Season, SeasonProgress

HEADER = ("cluster_id", "points", "level", "updated_at")


def season_progress_csv(season: Season) -> StreamingHttpResponse:
    """Every cluster's row in `season`, most points first, streamed through a server-side cursor (PostgreSQL).

    One query in the order of season_progress_rank_idx (no sort); at most CHUNK_SIZE rows held at once.
    """
    rows = (
        SeasonProgress.objects.filter(season=season)
        .order_by("-points", "cluster_id")
        .values_list(*HEADER)
        .iterator(CHUNK_SIZE)
    )
    return streaming_csv(f"{season.pk}-progress.csv", HEADER, (_iso(row) for row in rows))


def _iso(row: tuple) -> tuple:
    cluster_id, points, level, updated_at = row
    return cluster_id, points, level, updated_at.isoformat()
