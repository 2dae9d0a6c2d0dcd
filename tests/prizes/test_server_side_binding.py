"""The prizes' statements run under OPTIONS={"server_side_binding": True} too (PostgreSQL prepared statements)."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run
from prizes.models import AwardStatus, LeaderboardAward
from prizes.selectors import preview_prizes, run_awards_page, service_awards
from prizes.services import settle_award
from tests.factories import APIKeyFactory, ChallengeFactory, LeaderboardDefFactory, LeaderboardPrizeFactory, given_gains

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="server_side_binding is a PostgreSQL option"),
]


def test_awards_are_written_corrected_settled_and_read_with_server_side_binding(server_side_binding):
    today = calendar_period("DAILY", now=timezone.now())
    period = {"period_start": today.start - datetime.timedelta(days=1), "period_end": today.start}
    wins = ChallengeFactory(code="wins", metric_source="pvp", metric_key="wins")
    given_gains(wins, {"a": 5, "b": 3, "c": 1}, period=period)
    board = LeaderboardDefFactory(key="lb", challenge=wins, time_window="DAILY")
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=2, min_score=2)
    LeaderboardPrizeFactory(leaderboard=board, top_percent="50")

    first = generate_final_run("lb", **period)
    # a and b win both rows; b's first award is paid before the correction.
    paid = LeaderboardAward.objects.filter(run_id=first.pk, cluster_id="b").first()
    settle_award(paid.pk, reference="r", api_key=APIKeyFactory())
    second = generate_final_run("lb", **period, note="again")

    assert LeaderboardAward.objects.filter(run_id=first.pk, status=AwardStatus.VOID).count() == 3
    assert len(run_awards_page(second.pk, after=0, limit=10)) == 3
    assert len(service_awards(status="PENDING", leaderboard_key="lb", after=0, limit=10)) == 3
    assert [row.clusters for row in preview_prizes("lb", second).rows] == [2, 2]
