import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from leaderboards.periods import calendar_period
from prizes.models import LeaderboardAward
from tests.factories import APIKeyFactory, ChallengeFactory, LeaderboardDefFactory, given_history

DAY = datetime.timedelta(days=1)


@pytest.fixture
def wins(db):
    return ChallengeFactory(code="wins", metric_source="pvp", metric_key="wins")


@pytest.fixture
def yesterday():
    """The period of yesterday's DAILY run: {period_start, period_end}."""
    today = calendar_period("DAILY", now=timezone.now())
    return {"period_start": today.start - DAY, "period_end": today.start}


def given_gains(challenge, gains: dict[str, int], *, period: dict) -> None:
    """What each cluster gained in `challenge` during `period` (history before it and inside it)."""
    given_history(challenge, dict.fromkeys(gains, 1000), at=period["period_start"] - DAY)
    given_history(
        challenge, {cluster: 1000 + gain for cluster, gain in gains.items()}, at=period["period_start"] + DAY / 2
    )


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
def key(db):
    return APIKeyFactory()


@pytest.fixture
def service(key):
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {key.plain_key}")


@pytest.fixture
def api():
    return APIClient()
