"""Staff: a league with its tiers inline (audited), its periods with counts per tier, members and moves."""

import pytest

from leagues.models import League, LeaguePeriod
from tests.factories import LeagueFactory, given_tiers
from tests.leagues.conftest import day

pytestmark = pytest.mark.django_db

ADD = "/admin/leagues/league/add/"


def league_form(board, tiers: list[dict]) -> dict:
    data = {
        "key": "weekly",
        "name": "Weekly league",
        "leaderboard": board.key,
        "cohort_size": "30",
        "is_active": "on",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, tier in enumerate(tiers):
        data.update({f"tiers-{i}-{name}": value for name, value in tier.items()})
    return data


def test_a_league_is_saved_with_its_tiers_and_its_history(admin_client, board):
    tiers = [
        {"level": "1", "name": "Bronze", "promote_count": "10"},
        {"level": "2", "name": "Silver", "demote_percent": "20"},
    ]

    response = admin_client.post(ADD, league_form(board, tiers))

    assert response.status_code == 302
    league = League.objects.get(key="weekly")
    assert list(league.tiers.values_list("level", "name")) == [(1, "Bronze"), (2, "Silver")]
    assert league.history.count() == 1


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([{"level": "1", "name": "A"}, {"level": "3", "name": "C"}], "without gaps"),
        ([{"level": "1", "name": "A"}, {"level": "2", "name": "B", "promote_count": "3"}], "promotes nobody"),
        ([{"level": "1", "name": "A", "demote_count": "2"}], "demotes nobody"),
        ([{"level": "1", "name": "A", "promote_count": "2", "promote_percent": "10"}], "not both"),
    ],
)
def test_malformed_tiers_are_a_form_error_and_nothing_is_saved(admin_client, board, tiers, message):
    response = admin_client.post(ADD, league_form(board, tiers))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not League.objects.exists()


def test_a_league_follows_only_a_board_with_periods(admin_client, wins):
    from tests.factories import LeaderboardDefFactory

    all_time = LeaderboardDefFactory(key="lb_all", challenge=wins, time_window="ALL_TIME")

    response = admin_client.post(ADD, league_form(all_time, [{"level": "1", "name": "A"}]))

    assert "A league follows a board with periods" in response.content.decode()


def test_a_period_page_counts_members_cohorts_and_moves_per_tier(admin_client, board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=2)
    given_tiers(league, [(1, 0), (0, 0)])
    period = day(3)
    race.gain(period, {"a": 5, "b": 3, "c": 1})
    race.final(period)
    closed = LeaguePeriod.objects.get(league=league)

    page = admin_client.get(f"/admin/leagues/leagueperiod/{closed.pk}/change/").content.decode()

    # level 1: 3 members in 2 cohorts (a b | c); a and c promote, b stays
    assert "<tr><td>1</td><td>3</td><td>2</td><td>2</td><td>1</td><td>0</td></tr>" in page
    assert "1-1 (2)" in page and "1-2 (1)" in page
    assert f"from final run {closed.closed_by_run_id}" in page


def test_a_clusters_league_history_is_one_search_of_the_moves(admin_client, board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=2)
    given_tiers(league, [(1, 0), (0, 0)])
    for days_ago in (4, 3):
        race.gain(day(days_ago), {"a": 5, "b": 3})
        race.final(day(days_ago))

    page = admin_client.get("/admin/leagues/leaguemove/", {"q": "a"})

    assert [(m.period_start, m.move) for m in page.context["cl"].result_list] == [
        (day(3)[0], "STAY"),
        (day(4)[0], "PROMOTE"),
    ]
