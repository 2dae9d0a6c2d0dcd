"""GET /leaderboards/{key}/{run}/movers?direction=up|down&limit=10: the entries that moved most since the last run."""

import random

import pytest
from django.utils import timezone

from leaderboards.models import LeaderboardEntry, RunMover
from leaderboards.services import generate_leaderboard_run, prune_leaderboard_runs
from tests.factories import LeaderboardDefFactory, given_history, given_progress

pytestmark = pytest.mark.django_db


def moved(wins, before: dict[str, int], after: dict[str, int]):
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=0)
    given_progress(wins, before)
    generate_leaderboard_run("lb")
    given_history(wins, after, at=timezone.now())
    return generate_leaderboard_run("lb")


def ids(body) -> list[str]:
    return [entry["clusterId"] for entry in body["entries"]]


def test_movers_up_are_the_largest_rank_changes_ties_by_position(api, wins):
    # before: a 1, b 2, c 3, d 4, e 5; after: e 1 (+4), d 2 (+2), a 3 (-2), b 4 (-2), c 5 (-2), new 6 (no previous)
    run = moved(
        wins,
        {"a": 50, "b": 40, "c": 30, "d": 20, "e": 10},
        {"e": 90, "d": 80, "a": 70, "b": 60, "c": 55, "new": 1},
    )

    up = api.get("/leaderboards/lb/latest/movers").json()
    down = api.get(f"/leaderboards/lb/runs/{run.pk}/movers/", {"direction": "down", "limit": 2}).json()

    assert ids(up) == ["e", "d", "a", "b", "c"]
    assert [entry["rankChange"] for entry in up["entries"]] == [4, 2, -2, -2, -2]
    assert ids(down) == ["a", "b"]
    assert up["leaderboard"]["runId"] == run.pk


def test_movers_equal_a_python_reference_on_random_runs(api, wins):
    rng = random.Random(24)
    clusters = [f"c{n:03d}" for n in range(150)]
    run = moved(
        wins,
        {c: rng.randint(1, 40) for c in clusters},
        {c: rng.randint(1, 40) for c in clusters if rng.random() < 0.9},
    )
    entries = list(LeaderboardEntry.objects.filter(run=run, previous_rank__isnull=False))

    for direction, sign in (("up", -1), ("down", 1)):
        expected = sorted(entries, key=lambda e: (sign * (e.previous_rank - e.rank), e.position))[:100]
        body = api.get("/leaderboards/lb/latest/movers", {"direction": direction, "limit": 100}).json()
        assert ids(body) == [e.cluster_id for e in expected], direction


def test_a_first_run_has_no_movers(api, wins):
    given_progress(wins, {"a": 1})
    LeaderboardDefFactory(key="lb", challenge=wins)
    generate_leaderboard_run("lb")

    assert api.get("/leaderboards/lb/latest/movers").json()["entries"] == []


def test_movers_cost_the_run_and_one_query_whatever_the_limit(api, wins, django_assert_num_queries):
    moved(wins, {f"c{n}": n for n in range(40)}, {f"c{n}": 100 - n for n in range(40)})

    # 1. the run 2. its movers with their display names (profiles.sql.MOVERS_WITH_NAMES: the recorded places
    # joined to their entries and profiles; the names before the ETag)
    for limit in (1, 100):
        with django_assert_num_queries(2):
            assert api.get("/leaderboards/lb/latest/movers", {"limit": limit}).status_code == 200


@pytest.mark.parametrize(
    ("query", "name"),
    [({"direction": "sideways"}, "direction"), ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit")],
)
def test_a_bad_parameter_is_a_400_naming_it(api, wins, query, name):
    moved(wins, {"a": 1}, {"a": 2})

    response = api.get("/leaderboards/lb/latest/movers", query)

    assert response.status_code == 400
    assert name in response.json()


def test_an_unknown_board_or_missing_previous_final_is_a_404(api, wins):
    moved(wins, {"a": 1}, {"a": 2})

    assert api.get("/leaderboards/nope/latest/movers").status_code == 404
    assert api.get("/leaderboards/lb/finals/previous/movers").status_code == 404  # ALL_TIME has no finals


def test_prune_deletes_the_movers_of_the_runs_it_deletes(wins):
    moved(wins, {"a": 1, "b": 2}, {"a": 3})
    generate_leaderboard_run("lb")

    prune_leaderboard_runs(keep=1)

    assert set(RunMover.objects.values_list("run_id", flat=True)) == {
        LeaderboardEntry.objects.order_by("-run_id").values_list("run_id", flat=True).first()
    }
