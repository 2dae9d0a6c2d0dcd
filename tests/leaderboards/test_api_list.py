"""GET /leaderboards: the active leaderboards, each with its latest completed run."""

import pytest
from django.utils import timezone

from leaderboards.periods import calendar_period
from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory
from tests.helpers import iso

pytestmark = pytest.mark.django_db


def test_the_list_shows_active_leaderboards_with_their_latest_completed_run(api, published, wins):
    LeaderboardDefFactory(key="paused", challenge=wins, is_active=False)
    LeaderboardDefFactory(key="fresh", name="Fresh", description="", challenge=wins, time_window="DAILY")

    tomorrow = calendar_period("DAILY", now=timezone.now()).end
    response = api.get("/leaderboards")

    assert response.status_code == 200
    assert response.json() == [
        {
            "key": "fresh",
            "name": "Fresh",
            "description": "",
            "challengeCode": "wins",
            "challengeName": wins.name,
            "categoryKey": wins.category.key,
            "fallbackChallengeCode": None,
            "maxEntries": 1000,
            "rankMode": "DENSE",
            "timeWindow": "DAILY",
            "nextResetAt": iso(tomorrow),
            "latestRun": None,
            "prizes": [],  # the prizes app's field (leaderboards.extensions)
        },
        {
            "key": "top_wins",
            "name": "Top wins",
            "description": "Most PvP wins.",
            "challengeCode": published.challenge.code,
            "challengeName": published.challenge.name,
            "categoryKey": published.leaderboard.category_key,
            "fallbackChallengeCode": published.fallback_challenge.code,
            "maxEntries": published.leaderboard.max_entries,
            "rankMode": published.leaderboard.rank_mode,
            "timeWindow": "ALL_TIME",
            "nextResetAt": None,
            "latestRun": {
                "runId": published.pk,
                "periodStart": "1970-01-01T00:00:00Z",
                "periodEnd": iso(published.period_end),
                "periodLabel": "All time",
                "rowCount": 5,
                "generatedAt": iso(published.finished_at),
            },
            "prizes": [],
        },
    ]


def test_the_list_runs_one_query_however_many_leaderboards(api, wins, django_assert_num_queries):
    for n in range(5):
        definition = LeaderboardDefFactory(key=f"lb_{n}", challenge=wins)
        LeaderboardRunFactory.create_batch(2, leaderboard=definition)

    # The active definitions, each with its latest run as subqueries; their prize tables (prizes, one query).
    with django_assert_num_queries(2):
        response = api.get("/leaderboards")

    assert len(response.json()) == 5
