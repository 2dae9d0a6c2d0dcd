"""One cluster's points beyond 64-bit integers never freeze a season: its error is recorded, the rest is written."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hedge.challenges.models import MAX_PROGRESS_VALUE, ChallengeProgress
from hedge.challenges.signals import ProgressChange, notify_progress_changed
from seasons.models import SeasonProgressError
from seasons.services import recompute_changed_since, recompute_clusters, recompute_season
from tests.factories import ChallengeFactory, ChallengeProgressFactory, SeasonChallengeWeightFactory, SeasonFactory
from tests.helpers import season_points

pytestmark = pytest.mark.django_db

T0 = timezone.now() - datetime.timedelta(hours=1)


@pytest.fixture
def heavy(db):
    """An active LIFETIME season whose ten weights of 1,000,000 let one cluster's sum pass 2^63 - 1."""
    season = SeasonFactory(id="S-HEAVY", is_active=True, scoring="LIFETIME")
    challenges = [ChallengeFactory(code=f"ch{n}") for n in range(10)]
    for challenge in challenges:
        SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=1_000_000)
        ChallengeProgressFactory(cluster_id="whale", challenge=challenge, value=MAX_PROGRESS_VALUE, updated_at=T0)
    ChallengeProgressFactory(cluster_id="minnow", challenge=challenges[0], value=3, updated_at=T0)
    return season, challenges


def test_a_sum_beyond_64_bits_is_a_per_cluster_error_and_the_others_are_written(heavy):
    season, _ = heavy

    result = recompute_season(season)

    assert (result.considered, result.inserted, result.failed) == (2, 1, 1)
    assert "1 failed (points beyond 64-bit integers)" in str(result)
    assert season_points(season) == {"minnow": 3_000_000}
    error = SeasonProgressError.objects.get()
    assert (error.cluster_id, "64-bit" in error.error) == ("whale", True)


def test_the_next_recompute_tries_a_failed_cluster_again_and_clears_its_error(heavy):
    season, challenges = heavy
    recompute_season(season)
    ChallengeProgress.objects.filter(cluster_id="whale", challenge=challenges[0]).update(value=1)

    result = recompute_clusters(season, ["whale"])

    assert result.failed == 0
    assert season_points(season)["whale"] == 9 * MAX_PROGRESS_VALUE * 1_000_000 + 1_000_000
    assert not SeasonProgressError.objects.exists()


def test_the_post_etl_hook_writes_the_others_reports_the_failure_and_retries_it_next_time(heavy):
    season, challenges = heavy
    season.points_synced_through = season.starts_at  # computed before: the hook recomputes what changed
    season.save()
    change = ProgressChange(source="etl", changed_since=T0, challenge_codes=frozenset(c.code for c in challenges))

    errors = notify_progress_changed(None, change)

    assert len(errors) == 1 and "1 failed" in errors[0]
    assert season_points(season) == {"minnow": 3_000_000}
    season.refresh_from_db()
    assert season.points_synced_through == T0  # the watermark moved: the season is not frozen
    # The next tick changes nothing of the whale's progress, yet tries it again.
    later = timezone.now()
    result = recompute_changed_since(season, later)
    assert (result.considered, result.failed) == (1, 1)


def test_the_command_prints_the_counts_and_exits_non_zero(heavy):
    out = StringIO()

    with pytest.raises(CommandError, match="1 cluster\\(s\\) of season S-HEAVY were not written"):
        call_command("compute_season_points", "--season", "S-HEAVY", stdout=out)

    assert "1 failed" in out.getvalue()
    assert season_points(heavy[0]) == {"minnow": 3_000_000}


def test_a_season_whose_weights_cannot_overflow_pays_one_query_for_knowing_it_and_no_guard(db):
    season = SeasonFactory(is_active=True, scoring="LIFETIME")
    challenge = ChallengeFactory()
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=1_000_000)
    ChallengeProgressFactory(cluster_id="c1", challenge=challenge, value=MAX_PROGRESS_VALUE)

    with CaptureQueriesContext(connection) as captured:
        result = recompute_season(season)

    assert (result.failed, season_points(season)) == (0, {"c1": MAX_PROGRESS_VALUE * 1_000_000})
    assert not any("HAVING" in query["sql"] for query in captured)
    upsert = next(q["sql"] for q in captured if "INSERT INTO season_progress " in q["sql"])
    assert "season_progress_errors" not in upsert  # no guard to pay for


def test_progress_says_when_a_clusters_points_overflowed_and_when_they_fit_again(heavy, client):
    season, challenges = heavy
    recompute_season(season)

    whale = client.get("/seasons/S-HEAVY/progress", {"clusterId": "whale"}).json()
    minnow = client.get("/seasons/S-HEAVY/progress", {"clusterId": "minnow"}).json()
    ChallengeProgress.objects.filter(cluster_id="whale", challenge=challenges[0]).update(value=1)
    recompute_clusters(season, ["whale"])
    fixed = client.get("/seasons/S-HEAVY/progress", {"clusterId": "whale"}).json()

    assert (whale["error"], whale["points"], whale["updatedAt"]) == ("points_overflow", 0, None)
    assert sum(share["points"] for share in whale["breakdown"]) == 10 * MAX_PROGRESS_VALUE * 1_000_000
    assert (minnow["error"], minnow["points"]) == (None, 3_000_000)
    assert (fixed["error"], fixed["points"]) == (None, 9 * MAX_PROGRESS_VALUE * 1_000_000 + 1_000_000)
