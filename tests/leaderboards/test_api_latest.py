"""GET /leaderboards/{key}/latest: the latest completed run of a leaderboard and its entries."""

import datetime

import pytest

from leaderboards.errors import GenerationFailed
from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory, given_progress
from tests.helpers import iso

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def test_latest_returns_the_leaderboard_and_its_entries_by_position(api, published):
    response = api.get("/leaderboards/top_wins/latest")

    assert response.status_code == 200
    assert response.json() == {
        "leaderboard": {
            "key": "top_wins",
            "name": "Top wins",
            "description": "Most PvP wins.",
            "timeWindow": "ALL_TIME",
            "periodStart": "1970-01-01T00:00:00Z",
            "periodEnd": iso(published.period_end),
            "periodLabel": "All time",
            "runId": published.pk,
            "rowCount": 5,
            "rankedTotal": 5,
            "generatedAt": iso(published.finished_at),
            "isFinal": False,
            "status": "COMPLETE",
            "supersededBy": None,
            "correctionNote": None,
            "nextResetAt": None,
            "checksum": published.checksum,  # tests/leaderboards/test_checksum.py checks what it is
        },
        "entries": [
            {
                "rank": 1,
                "position": 1,
                "clusterId": "bob",
                "score": 10,
                "tiebreaker": 3,
                "previousRank": None,
                "rankChange": None,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": 3},
                "displayName": None,
                "avatarUrl": None,
            },
            {
                "rank": 2,
                "position": 2,
                "clusterId": "alice",
                "score": 10,
                "tiebreaker": 1,
                "previousRank": None,
                "rankChange": None,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": 1},
                "displayName": None,
                "avatarUrl": None,
            },
            {
                "rank": 3,
                "position": 3,
                "clusterId": "carol",
                "score": 7,
                "tiebreaker": 0,
                "previousRank": None,
                "rankChange": None,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": None},
                "displayName": None,
                "avatarUrl": None,
            },
            {
                "rank": 4,
                "position": 4,
                "clusterId": "dave",
                "score": 5,
                "tiebreaker": 0,
                "previousRank": None,
                "rankChange": None,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": None},
                "displayName": None,
                "avatarUrl": None,
            },
            {
                "rank": 5,
                "position": 5,
                "clusterId": "erin",
                "score": 1,
                "tiebreaker": 0,
                "previousRank": None,
                "rankChange": None,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": None},
                "displayName": None,
                "avatarUrl": None,
            },
        ],
        "next": None,
        "nextAfter": None,
    }


def test_limit_keeps_the_first_positions(api, published):
    response = api.get("/leaderboards/top_wins/latest", {"limit": 2})

    assert [e["clusterId"] for e in response.json()["entries"]] == ["bob", "alice"]
    assert response.json()["leaderboard"]["rowCount"] == 5


@pytest.mark.parametrize(("limit", "count"), [("1", 1), ("1000", 5), ("3", 3)])
def test_limits_in_range_are_accepted(api, published, limit, count):
    response = api.get("/leaderboards/top_wins/latest", {"limit": limit})

    assert len(response.json()["entries"]) == count


def test_limit_defaults_to_100(api, wins):
    given_progress(wins, {f"cluster-{n:03d}": n for n in range(150)})
    LeaderboardDefFactory(key="big", challenge=wins)
    generate_leaderboard_run("big")

    assert len(api.get("/leaderboards/big/latest").json()["entries"]) == 100


def latest_run_id(api, key: str) -> int:
    return api.get(f"/leaderboards/{key}/latest").json()["leaderboard"]["runId"]


def listed_run_id(api, key: str) -> int:
    [listed] = [item for item in api.get("/leaderboards").json() if item["key"] == key]
    return listed["latestRun"]["runId"]


def test_runs_that_are_not_complete_are_never_the_latest(api, wins):
    definition = LeaderboardDefFactory(key="daily_wins", challenge=wins, time_window="DAILY")
    current = LeaderboardRunFactory(leaderboard=definition)
    LeaderboardRunFactory(leaderboard=definition, status="FAILED")
    LeaderboardRunFactory(leaderboard=definition, status="PROCESSING")

    assert latest_run_id(api, "daily_wins") == listed_run_id(api, "daily_wins") == current.pk


def test_the_latest_run_is_the_newest_scheduled_one_even_after_a_time_window_change(api, wins):
    given_progress(wins, {"alice": 1})
    definition = LeaderboardDefFactory(key="wins", challenge=wins, time_window="MONTHLY")
    generate_leaderboard_run("wins")  # its period ends on the 1st of next month
    definition.time_window = "ALL_TIME"
    definition.save()

    all_time = generate_leaderboard_run("wins")  # its period ends now

    assert latest_run_id(api, "wins") == listed_run_id(api, "wins") == all_time.pk


def test_a_backfill_of_a_future_period_does_not_pin_the_latest_run(api, wins):
    LeaderboardDefFactory(key="wins", challenge=wins, time_window="DAILY")
    generate_leaderboard_run(
        "wins",
        period_start=datetime.datetime(2099, 1, 1, tzinfo=UTC),
        period_end=datetime.datetime(2099, 1, 2, tzinfo=UTC),
    )

    scheduled = generate_leaderboard_run("wins")

    assert latest_run_id(api, "wins") == listed_run_id(api, "wins") == scheduled.pk


def test_a_backfill_of_an_old_period_does_not_hide_the_current_run(api, wins):
    LeaderboardDefFactory(key="wins", challenge=wins, time_window="DAILY")
    current = generate_leaderboard_run("wins")

    backfill = generate_leaderboard_run(
        "wins",
        period_start=datetime.datetime(2025, 3, 1, tzinfo=UTC),
        period_end=datetime.datetime(2025, 3, 2, tzinfo=UTC),
    )

    assert (current.is_backfill, backfill.is_backfill) == (False, True)
    assert latest_run_id(api, "wins") == listed_run_id(api, "wins") == current.pk
    assert api.get(f"/leaderboards/wins/runs/{backfill.pk}").status_code == 200


def test_a_leaderboard_with_only_backfills_serves_the_newest_backfill(api, wins):
    definition = LeaderboardDefFactory(key="wins", challenge=wins, time_window="DAILY")
    LeaderboardRunFactory(
        leaderboard=definition, is_backfill=True, period_start=datetime.datetime(2025, 3, 2, tzinfo=UTC)
    )
    newest = LeaderboardRunFactory(
        leaderboard=definition, is_backfill=True, period_start=datetime.datetime(2025, 3, 1, tzinfo=UTC)
    )

    assert latest_run_id(api, "wins") == listed_run_id(api, "wins") == newest.pk


def test_of_two_runs_of_the_same_period_the_later_one_is_latest(api, wins):
    definition = LeaderboardDefFactory(key="daily_wins", challenge=wins, time_window="DAILY")
    LeaderboardRunFactory(leaderboard=definition)
    later = LeaderboardRunFactory(leaderboard=definition)

    assert latest_run_id(api, "daily_wins") == later.pk


def test_latest_still_serves_the_previous_run_after_a_failed_generation(api, published, break_ranking):
    before = api.get("/leaderboards/top_wins/latest").json()
    break_ranking()

    with pytest.raises(GenerationFailed) as raised:
        generate_leaderboard_run("top_wins")

    assert api.get("/leaderboards/top_wins/latest").json() == before
    assert api.get(f"/leaderboards/top_wins/runs/{raised.value.run.pk}").status_code == 404


def test_a_leaderboard_without_a_completed_run_says_so(api, wins):
    definition = LeaderboardDefFactory(key="fresh", challenge=wins)
    LeaderboardRunFactory(leaderboard=definition, status="PROCESSING")

    response = api.get("/leaderboards/fresh/latest")

    assert response.status_code == 404
    assert response.json() == {"detail": "Leaderboard 'fresh' has no completed run yet."}


def test_not_found_runs_two_queries(api, wins, django_assert_num_queries):
    LeaderboardDefFactory(key="fresh", challenge=wins)

    # 1. no latest COMPLETE run; 2. is there such an active leaderboard at all (for the message)
    with django_assert_num_queries(2):
        assert api.get("/leaderboards/fresh/latest").status_code == 404
