"""What a season's unsaved settings and weights would give, computed in a transaction that is always rolled back.

The admin's Preview writes the form's season and weights, recomputes the season with the real
statements (seasons.services.recompute_season), reads the top of the standings and the number
of clusters with points, and then rolls everything back: nothing stays written, whatever happens.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from hedge.challenges.services.locks import ProgressWritesInFlight, settled_progress_writes
from hedge.core import preview
from hedge.core.preview import SHOWN, PreviewUnavailable, preview_timeout

from ..errors import SeasonEndedError, SeasonNotStartedError
from ..models import Season, SeasonProgress
from ..services import recompute_season


@dataclass(frozen=True)
class PreviewRow:
    cluster_id: str
    points: int
    level: int


@dataclass(frozen=True)
class SeasonPreview:
    season_id: str
    with_points: int  # clusters that would have more than 0 points
    rows: list[PreviewRow]


def preview_season(
    write: Callable[[], Season], *, now: datetime.datetime | None = None, shown: int = SHOWN
) -> SeasonPreview:
    """Run `write` (which saves the unsaved season and its weights), recompute, read the top `shown`; roll back.

    Raises PreviewUnavailable with a message for staff when the season cannot be recomputed now or
    the recompute takes longer than hedge.core.preview.TIMEOUT_SECONDS; errors of `write` propagate. Either way the
    transaction is rolled back.
    """
    now = now or timezone.now()
    try:
        # The recompute waits for writes in flight; a preview waits no longer than it may run.
        with settled_progress_writes(seconds=preview.TIMEOUT_SECONDS), transaction.atomic():
            try:
                season = write()
                with preview_timeout(instead="save and recompute instead"):
                    recompute_season(season, now=now)
                    standings = SeasonProgress.objects.filter(season=season, points__gt=0)
                    top = standings.order_by("-points", "cluster_id").values_list("cluster_id", "points", "level")
                    rows = [PreviewRow(*row) for row in top[:shown]]
                    with_points = standings.count()
            finally:
                transaction.set_rollback(True)  # whatever happened, nothing is kept
    except (SeasonNotStartedError, SeasonEndedError) as exc:
        raise PreviewUnavailable(f"Nothing to preview: {exc}.") from exc
    except ProgressWritesInFlight as exc:
        raise PreviewUnavailable(f"No preview now: {exc}. Try again once it has finished.") from exc
    return SeasonPreview(season_id=season.pk, with_points=with_points, rows=rows)
