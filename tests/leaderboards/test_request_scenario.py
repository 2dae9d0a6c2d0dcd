"""Section 7 of the original request: a PvP wins leaderboard over the real catalogue, run two ways."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from hedge.challenges.models import Challenge
from leaderboards.models import LeaderboardDef, LeaderboardRun
from tests.factories import given_progress

pytestmark = pytest.mark.django_db

# Computed by hand: wins desc, then best streak desc (0 when none), then cluster id; dense ranks.
EXPECTED = [
    {"rank": 1, "position": 1, "clusterId": "cluster-eve", "score": 42, "tiebreaker": 0},
    {"rank": 2, "position": 2, "clusterId": "cluster-bob", "score": 30, "tiebreaker": 7},
    {"rank": 3, "position": 3, "clusterId": "cluster-amy", "score": 30, "tiebreaker": 5},
    {"rank": 3, "position": 4, "clusterId": "cluster-dan", "score": 30, "tiebreaker": 5},
    {"rank": 4, "position": 5, "clusterId": "cluster-cat", "score": 12, "tiebreaker": 9},
    {"rank": 5, "position": 6, "clusterId": "cluster-fay", "score": 0, "tiebreaker": 2},
]


@pytest.fixture
def pvp_progress(catalogue):
    given_progress(
        Challenge.objects.get(code="pvp_wins"),
        {
            "cluster-amy": 30,
            "cluster-bob": 30,
            "cluster-cat": 12,
            "cluster-dan": 30,
            "cluster-eve": 42,
            "cluster-fay": 0,
        },
    )
    given_progress(
        Challenge.objects.get(code="pvp_best_streak"),
        {"cluster-amy": 5, "cluster-bob": 7, "cluster-cat": 9, "cluster-dan": 5, "cluster-fay": 2, "cluster-gus": 11},
    )
    # Another metric of the category must not leak in.
    given_progress(Challenge.objects.get(code="hunters_triumph"), {"cluster-gus": 100})


def latest_entries():
    response = APIClient().get("/leaderboards/lb_pvp_alltime_wins/latest", {"limit": 10})
    assert response.status_code == 200
    body = response.json()
    moves = {"payload", "previousRank", "rankChange", "displayName", "avatarUrl"}
    entries = [{k: v for k, v in entry.items() if k not in moves} for entry in body["entries"]]
    changes = {(entry["previousRank"], entry["rankChange"]) for entry in body["entries"]}
    return body["leaderboard"], entries, [entry["payload"] for entry in body["entries"]], changes


def test_the_requests_pvp_leaderboard_created_in_admin_run_by_cron_and_by_the_admin_action(admin_client, pvp_progress):
    created = admin_client.post(
        reverse("admin:leaderboards_leaderboarddef_add"),
        {
            "key": "lb_pvp_alltime_wins",
            "name": "PvP wins, all time",
            "description": "Most PvP matches won.",
            "is_active": "on",
            # Picked by name in the form; stored as pvp_competition / onchain_pvp / wins, tie-broken by best_streak.
            "challenge": Challenge.objects.get(code="pvp_wins").pk,
            "fallback_challenge": Challenge.objects.get(code="pvp_best_streak").pk,
            "time_window": "ALL_TIME",
            "rank_mode": "DENSE",
            "max_entries": "1000",
            # The prize table inline's management form (the prizes app adds it to the page), no rows.
            "prizes-TOTAL_FORMS": "0",
            "prizes-INITIAL_FORMS": "0",
        },
    )
    assert created.status_code == 302

    call_command("generate_leaderboard", "lb_pvp_alltime_wins", stdout=StringIO())
    by_cron = LeaderboardRun.objects.get()
    header, entries, payloads, changes = latest_entries()

    assert entries == EXPECTED
    assert changes == {(None, None)}  # the first run: nobody has a previous rank
    assert (header["runId"], header["rowCount"], header["timeWindow"]) == (by_cron.pk, 6, "ALL_TIME")
    assert payloads[0] == {
        "challengeCode": "pvp_wins",
        "fallbackChallengeCode": "pvp_best_streak",
        "fallbackValue": None,
    }
    assert payloads[1]["fallbackValue"] == 7

    definition = LeaderboardDef.objects.get(key="lb_pvp_alltime_wins")
    admin_client.post(
        reverse("admin:leaderboards_leaderboarddef_changelist"),
        {"action": "generate_now", "_selected_action": [definition.pk]},
    )
    by_admin = LeaderboardRun.objects.exclude(pk=by_cron.pk).get()
    header, entries, _, changes = latest_entries()

    assert header["runId"] == by_admin.pk
    assert entries == EXPECTED
    assert {change for _, change in changes} == {0}  # nothing moved since the cron's run
