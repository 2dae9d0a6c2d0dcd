import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from leaderboards.periods import calendar_period
from prizes.models import LeaderboardAward
from tests.factories import LeaderboardDefFactory

DAY = datetime.timedelta(days=1)


@pytest.fixture
def yesterday():
    """The period of yesterday's DAILY run: {period_start, period_end}."""
    today = calendar_period("DAILY", now=timezone.now())
    return {"period_start": today.start - DAY, "period_end": today.start}


@pytest.fixture
def board(wins):
    """A DAILY board of PvP wins with no prize table yet (DENSE ranks, every cluster kept)."""
    return LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY", max_entries=0)


def awards_of(run) -> list[tuple]:
    """(position, rank, cluster_id, prize name, status) of a run's awards, by position and prize name."""
    return list(
        LeaderboardAward.objects.filter(run_id=run.pk)
        .order_by("position", "name")
        .values_list("position", "rank", "cluster_id", "name", "status")
    )


@pytest.fixture
def service(key):
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {key.plain_key}")
