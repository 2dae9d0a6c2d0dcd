"""GET /leaderboards/{key}/runs/{runId}: one published run of a leaderboard and its entries."""

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory

pytestmark = pytest.mark.django_db


def test_a_run_by_id_has_the_same_shape(api, published):
    latest = api.get("/leaderboards/top_wins/latest").json()

    response = api.get(f"/leaderboards/top_wins/runs/{published.pk}")

    assert response.status_code == 200
    assert response.json() == latest


@pytest.mark.parametrize("status", ["PENDING", "PROCESSING", "FAILED"])
def test_a_run_that_is_not_complete_is_not_found(api, wins, status):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), status=status)

    response = api.get(f"/leaderboards/lb/runs/{run.pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"Leaderboard 'lb' has no published run '{run.pk}'."}


def test_a_run_of_another_leaderboard_is_not_found(api, wins):
    LeaderboardDefFactory(key="mine", challenge=wins)
    theirs = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="theirs", challenge=wins))

    assert api.get(f"/leaderboards/mine/runs/{theirs.pk}").status_code == 404
    assert api.get(f"/leaderboards/theirs/runs/{theirs.pk}").status_code == 200


@pytest.mark.parametrize("run_id", ["abc", "1.5", "-1", "99999999999999999999999"])
def test_a_malformed_run_id_is_not_found(api, wins, run_id):
    LeaderboardDefFactory(key="mine", challenge=wins)

    response = api.get(f"/leaderboards/mine/runs/{run_id}")

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("case", "queries"),
    [
        # 1. no such published run of an active leaderboard; 2. is there such an active leaderboard (for the message)
        ("unknown key", 2),
        ("inactive leaderboard", 2),
        ("run not complete", 2),
        ("run of another leaderboard", 2),
        ("no such run", 2),
        # 1. is there such an active leaderboard (a malformed run id is looked up nowhere)
        ("malformed run id", 1),
        # a key no leaderboard can have is looked up nowhere either
        ("malformed key", 0),
    ],
)
def test_every_not_found_run_runs_a_fixed_number_of_queries(api, wins, case, queries, django_assert_num_queries):
    mine = LeaderboardDefFactory(key="mine", challenge=wins)
    paused = LeaderboardDefFactory(key="paused", challenge=wins, is_active=False)
    complete = LeaderboardRunFactory(leaderboard=mine)
    processing = LeaderboardRunFactory(leaderboard=mine, status="PROCESSING")
    theirs = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="theirs", challenge=wins))
    of_paused = LeaderboardRunFactory(leaderboard=paused)
    url = {
        "unknown key": f"/leaderboards/nope/runs/{complete.pk}",
        "inactive leaderboard": f"/leaderboards/paused/runs/{of_paused.pk}",
        "run not complete": f"/leaderboards/mine/runs/{processing.pk}",
        "run of another leaderboard": f"/leaderboards/mine/runs/{theirs.pk}",
        "no such run": "/leaderboards/mine/runs/999999999",
        "malformed run id": "/leaderboards/mine/runs/1%002",
        "malformed key": f"/leaderboards/mi%00ne/runs/{complete.pk}",
    }[case]

    with django_assert_num_queries(queries):
        response = api.get(url, {"limit": 1000})

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
