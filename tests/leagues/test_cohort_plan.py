"""The cohort read's plan probes each member's entry, whatever the statistics know of the run."""

import datetime

import pytest
from django.db import connection, transaction

from hedge.core.db import sql_datetime
from leaderboards.models import LeaderboardEntry
from leaderboards.sql import RANK_FUNCTIONS
from leagues import sql
from leagues.models import LeagueMember
from tests.factories import LeaderboardRunFactory, LeagueFactory, LeagueTierFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the plan is PostgreSQL's"),
]

ENTRIES = 5000
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def entries(run, n: int) -> list[LeaderboardEntry]:
    return [LeaderboardEntry(run=run, cluster_id=f"c{i:06d}", position=i, rank=i, score=n - i) for i in range(1, n + 1)]


@pytest.mark.parametrize("known", [ENTRIES, 100], ids=["a-previous-run-as-big", "a-smaller-previous-run"])
def test_the_cohort_read_probes_each_member_in_a_run_the_statistics_do_not_know(wins, known):
    league = LeagueFactory(key="weekly", cohort_size=30)
    LeagueTierFactory(league=league, level=1, promote_count=7)
    previous = LeaderboardRunFactory(leaderboard=league.leaderboard, period_start=START - datetime.timedelta(days=1))
    LeaderboardEntry.objects.bulk_create(entries(previous, known))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leaderboard_entries")  # before the run exists
        cursor.execute("ANALYZE league_members")
    run = LeaderboardRunFactory(leaderboard=league.leaderboard, period_start=START)
    LeaderboardEntry.objects.bulk_create(entries(run, ENTRIES))
    LeagueMember.objects.bulk_create(
        LeagueMember(league=league, period_start=START, cluster_id=f"c{i:06d}", level=1, cohort=i // 30 + 1, slot=i)
        for i in range(ENTRIES)
    )
    params = {
        "league": league.pk,
        "start": sql_datetime(START),
        "run": run.pk,
        "idle_demotion": 0,
        "level": 1,
        "cohort": 7,
    }
    statement = sql.COHORT_STANDINGS.format(rank_function=RANK_FUNCTIONS["DENSE"], scope=sql.COHORT_SCOPE)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {statement}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())

    # A scan of leaderboard_entries (whole, or the run's part down an index by run_id alone) per member
    # reads the run 30 times: at 1,000,000 entries, past the API's statement timeout. A probe's
    # condition names the member's cluster.
    lines = plan.splitlines()
    scans = [(line, lines[i + 1]) for i, line in enumerate(lines) if "leaderboard_entries" in line]
    assert scans, plan
    assert all("Seq Scan" not in scan and "cluster_id" in condition for scan, condition in scans), plan


def test_the_cohort_read_finds_the_seat_by_the_cluster_not_by_reading_the_period(wins):
    league = LeagueFactory(key="weekly", cohort_size=30)
    LeagueTierFactory(league=league, level=1, promote_count=7)
    LeaderboardRunFactory(leaderboard=league.leaderboard, period_start=START)
    LeagueMember.objects.bulk_create(
        LeagueMember(league=league, period_start=START, cluster_id=f"c{i:06d}", level=1, cohort=i // 30 + 1, slot=i)
        for i in range(ENTRIES)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE league_members")
    params = {"key": league.key, "cluster": "c000042"}

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql.LEAGUE_RUN_AND_SEAT}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())

    # Down league_members_unique_seat by (league, period), the cluster would be a filter over the period's members.
    assert "league_members_unique_cluster" in plan, plan
    assert "league_members_unique_seat" not in plan, plan
