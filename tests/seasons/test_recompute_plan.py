"""The full LIFETIME recompute reads the season's stored clusters in order, whatever the statistics say."""

import re

import pytest
from django.db import connection
from django.utils import timezone

from hedge.challenges.models import ChallengeProgress
from hedge.core.db import sql_datetime
from seasons import sql
from seasons.models import SeasonProgress
from seasons.services import recompute_season
from tests.factories import ChallengeFactory, ChallengeProgressFactory, SeasonChallengeWeightFactory, SeasonFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the plan is PostgreSQL's"),
]

CLUSTERS = 2000


def _lifetime_season(challenge, season_id: str):
    season = SeasonFactory(id=season_id, scoring="LIFETIME")
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=2)
    return season


def test_a_season_the_statistics_have_not_seen_is_merged_with_its_stored_clusters_without_a_sort():
    challenge = ChallengeFactory(code="wins")
    now = timezone.now()
    ChallengeProgress.objects.bulk_create(
        ChallengeProgressFactory.build(challenge=challenge, cluster_id=f"c{i:05d}", value=i + 1, updated_at=now)
        for i in range(CLUSTERS)
    )
    first, second = _lifetime_season(challenge, "FIRST"), _lifetime_season(challenge, "SECOND")
    recompute_season(first)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE season_progress")  # it holds the first season's rows only
    recompute_season(second)  # the rows the statistics have not seen, as in a new season's first days

    with connection.cursor() as cursor:
        params = {"season": second.pk, "points_per_level": second.points_per_level, "now": sql_datetime(timezone.now())}
        cursor.execute(f"EXPLAIN {sql.LIFETIME_SEASON.format(guard='')}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())

    # Estimated at one row, the stored clusters were read through the season_id index and sorted (on disk at
    # 1,000,000 clusters); the unique index gives them in cluster order, as the join needs them.
    assert "Sort Key: sp.cluster_id" not in plan, plan
    assert re.search(r"Index (Only )?Scan using season_progress_unique_cluster on season_progress sp\b", plan), plan
    assert SeasonProgress.objects.filter(season=second).count() == CLUSTERS
