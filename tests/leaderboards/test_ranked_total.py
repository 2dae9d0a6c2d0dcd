"""rankedTotal: how many clusters a run ranked before its max_entries cut, recorded by the ranking statement;
percentiles are over it, and a cluster without an entry is told why (`reason`)."""

import datetime

import pytest
from django.utils import timezone

from hedge.challenges.models import ChallengeProgress
from hedge.challenges.services.upsert import upsert_progress
from leaderboards.services import generate_leaderboard_run
from tests.factories import (
    ExclusionFactory,
    LeaderboardDefFactory,
    SeasonFactory,
    SeasonProgressFactory,
    given_history,
    given_progress,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def twenty_clusters(wins) -> dict[str, int]:
    values = {f"c{n:02d}": 100 - n for n in range(1, 21)}  # c01 first ... c20 last, no ties
    given_progress(wins, values)
    return values


@pytest.mark.parametrize(("max_entries", "ranked", "kept"), [(5, 20, 5), (0, 20, 20), (50, 20, 20)])
def test_a_run_records_how_many_clusters_it_ranked_before_the_cut(api, wins, max_entries, ranked, kept):
    twenty_clusters(wins)
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=max_entries)

    run = generate_leaderboard_run("lb")

    run.refresh_from_db()
    assert (run.ranked_total, run.row_count) == (ranked, kept)
    for path in ("/leaderboards/lb/latest", f"/leaderboards/lb/runs/{run.pk}/clusters?ids=c01"):
        header = api.get(path).json()["leaderboard"]
        assert (header["rankedTotal"], header["rowCount"]) == (ranked, kept)


def test_an_empty_run_ranked_nobody(wins):
    LeaderboardDefFactory(key="lb", challenge=wins)

    assert generate_leaderboard_run("lb").ranked_total == 0


def test_excluded_clusters_are_not_counted_as_ranked(wins):
    twenty_clusters(wins)
    definition = LeaderboardDefFactory(key="lb", challenge=wins, max_entries=3)
    ExclusionFactory(cluster_id="c10", leaderboard=definition)

    assert generate_leaderboard_run("lb").ranked_total == 19


def test_a_top_n_count_follows_the_rows_written_and_removed_between_runs(wins):
    twenty_clusters(wins)
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=3)
    generate_leaderboard_run("lb")

    upsert_progress([("new1", wins.pk, 1), ("new2", wins.pk, 500), ("c01", wins.pk, 7)], now=timezone.now())
    ChallengeProgress.objects.filter(cluster_id__in=["c02", "c03", "c04"]).delete()

    assert generate_leaderboard_run("lb").ranked_total == 20 + 2 - 3


def test_a_gains_board_counts_the_clusters_that_gained_in_the_period(wins):
    now = timezone.now()
    given_history(wins, {"a": 1, "b": 1, "c": 1, "idle": 1}, at=now - datetime.timedelta(days=30))
    given_history(wins, {"a": 9, "b": 5, "c": 2}, at=now - datetime.timedelta(seconds=1))
    LeaderboardDefFactory(key="lb", challenge=wins, time_window="ALL_TIME", max_entries=1)
    LeaderboardDefFactory(key="gains", challenge=wins, time_window="MONTHLY", max_entries=1)

    assert generate_leaderboard_run("lb").ranked_total == 4  # current values: everyone with a value
    run = generate_leaderboard_run("gains")
    assert run.row_count == 1
    assert run.ranked_total in (3, 4)  # those that gained this month ("idle" too when the month began since)


def test_a_season_points_board_counts_every_cluster_with_points(db):
    season = SeasonFactory(id="S1", is_active=True)
    for number, points in enumerate([50, 40, 30, 0]):
        SeasonProgressFactory(season=season, cluster_id=f"s{number}", points=points)
    LeaderboardDefFactory(
        key="pts",
        category_key="season",
        metric_source="season",
        metric_key="points",
        time_window="SEASON",
        max_entries=2,
    )

    run = generate_leaderboard_run("pts")

    assert (run.row_count, run.ranked_total) == (2, 3)


def test_percentile_is_over_the_clusters_ranked_not_those_kept(api, wins):
    twenty_clusters(wins)
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=5)
    generate_leaderboard_run("lb")

    # position 5 of 20 ranked: 15 behind, 75% (over the 5 kept it would be 0)
    assert api.get("/leaderboards/lb/latest/clusters/c05").json()["entry"]["percentile"] == 75.0
    assert api.get("/leaderboards/lb/latest/clusters/c01").json()["entry"]["percentile"] == 95.0


def test_a_cluster_without_an_entry_is_told_why(api, wins):
    twenty_clusters(wins)
    definition = LeaderboardDefFactory(key="lb", challenge=wins, max_entries=5)
    ExclusionFactory(cluster_id="c02", leaderboard=definition)
    LeaderboardDefFactory(key="all", challenge=wins, max_entries=0)
    generate_leaderboard_run("lb")
    generate_leaderboard_run("all")

    def answer(key, cluster_id):
        body = api.get(f"/leaderboards/{key}/latest/clusters/{cluster_id}").json()
        return body["entry"] is None, body["reason"]

    assert answer("lb", "c01") == (False, None)
    assert answer("lb", "c02") == (True, "excluded")
    assert answer("lb", "c15") == (True, "below_cut")
    assert answer("all", "c15") == (False, None)
    assert answer("all", "nobody") == (True, "no_score")


def test_an_exclusion_lifted_after_the_run_still_explains_it(api, wins):
    twenty_clusters(wins)
    definition = LeaderboardDefFactory(key="lb", challenge=wins, max_entries=0)
    exclusion = ExclusionFactory(cluster_id="c03", leaderboard=definition)
    generate_leaderboard_run("lb")
    exclusion.lifted_at = timezone.now()
    exclusion.save()

    assert api.get("/leaderboards/lb/latest/clusters/c03").json()["reason"] == "excluded"
