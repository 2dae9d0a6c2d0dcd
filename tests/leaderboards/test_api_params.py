"""The key and limit parameters that /latest and /runs/{runId} share: what is refused, and at what cost."""

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory

pytestmark = pytest.mark.django_db


def test_unknown_and_inactive_leaderboards_are_not_found(api, wins):
    paused = LeaderboardDefFactory(key="paused", challenge=wins, is_active=False)
    run = LeaderboardRunFactory(leaderboard=paused)

    for path in ["/leaderboards/nope/latest", "/leaderboards/paused/latest", f"/leaderboards/paused/runs/{run.pk}"]:
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"].startswith("No active leaderboard"), path


MALFORMED_KEYS = {
    "a%00b": "a\x00b",  # PostgreSQL refuses a NUL byte in text (DataError)
    "k" * 65: "k" * 65,  # longer than any key
    "Top_Wins": "Top_Wins",
    "-wins": "-wins",
    "top.wins": "top.wins",
    "top%20wins": "top wins",
    "wins%0A": "wins\n",
    "%C3%A9t%C3%A9": "\u00e9t\u00e9",
}


@pytest.mark.parametrize("path", ["latest", "runs/1"])
@pytest.mark.parametrize("quoted", list(MALFORMED_KEYS), ids=list(MALFORMED_KEYS.values()))
def test_a_key_no_leaderboard_can_have_is_not_found_without_a_query(api, wins, path, quoted, django_assert_num_queries):
    LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="wins", challenge=wins))

    with django_assert_num_queries(0):
        response = api.get(f"/leaderboards/{quoted}/{path}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"No active leaderboard {MALFORMED_KEYS[quoted]!r}."}


def test_the_longest_possible_key_is_still_looked_up(api, wins):
    LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="k" * 64, challenge=wins))

    assert api.get(f"/leaderboards/{'k' * 64}/latest").status_code == 200


@pytest.mark.parametrize(
    "limit",
    ["0", "1001", "-1", "abc", "", "1.5", "1e3", "\u0663", "\uff13", " 3", "3 ", "+3", "3.0", "1_0", "9" * 30],
    ids=repr,
)
@pytest.mark.parametrize("path", ["latest", "run"])
def test_a_bad_limit_is_a_400_naming_limit(api, published, limit, path):
    url = "/leaderboards/top_wins/latest" if path == "latest" else f"/leaderboards/top_wins/runs/{published.pk}"

    response = api.get(url, {"limit": limit})

    assert response.status_code == 400
    assert list(response.json()) == ["limit"]


@pytest.mark.parametrize("path", ["latest", "runs/1"])
def test_a_bad_limit_is_refused_without_a_query(api, wins, path, django_assert_num_queries):
    LeaderboardDefFactory(key="mine", challenge=wins)

    with django_assert_num_queries(0):
        assert api.get(f"/leaderboards/mine/{path}", {"limit": "0"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "name"), [("latest", "limit"), ("latest", "after"), ("latest/clusters/bob", "around")]
)
def test_a_non_ascii_digit_is_refused_with_a_message_saying_which_digits(api, published, path, name):
    response = api.get(f"/leaderboards/top_wins/{path}", {name: "\u0663"})  # Arabic-Indic 3

    assert response.status_code == 400
    assert response.json() == {name: ["A whole number written in the digits 0-9 is required."]}


@pytest.mark.parametrize("run_id", ["\u0663", "%D9%A3", "+1", " 1"], ids=repr)
def test_a_run_id_in_other_than_ascii_digits_is_no_run(api, published, run_id):
    response = api.get(f"/leaderboards/top_wins/runs/{run_id}")

    assert response.status_code == 404
