from leagues.models import LeagueMember, LeagueMove
from tests.factories import LeagueFactory, given_tiers
from tests.leagues.conftest import day


def seats(league):
    return list(
        LeagueMember.objects.filter(league=league)
        .order_by("period_start", "level", "slot")
        .values_list("cluster_id", "level", "cohort", "slot")
    )


def test_placement_fills_cohorts_in_first_appearance_order(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=2)
    given_tiers(league, [(1, 0), (0, 1)])
    period = day(3)
    race.gain(period, {"a": 5, "b": 9}, step=1)
    race.run(period)
    race.gain(period, {"c": 7, "d": 1, "e": 3}, step=2)
    race.run(period)

    assert seats(league) == [
        ("b", 1, 1, 0),
        ("a", 1, 1, 1),
        ("c", 1, 2, 2),
        ("e", 1, 2, 3),
        ("d", 1, 3, 4),
    ]


def test_final_run_moves_members(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=3)
    given_tiers(league, [(1, 0), (0, 1)])
    period = day(3)
    race.gain(period, {"a": 5, "b": 9, "c": 2, "d": 1}, step=1)
    race.final(period)
    moves = list(
        LeagueMove.objects.filter(league=league).values_list("cluster_id", "cohort", "rank", "move", "next_level")
    )
    assert sorted(moves) == [
        ("a", 1, 2, "STAY", 1),
        ("b", 1, 1, "PROMOTE", 2),
        ("c", 1, 3, "STAY", 1),
        ("d", 2, 1, "PROMOTE", 2),
    ]
