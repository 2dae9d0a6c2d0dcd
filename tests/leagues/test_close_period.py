import json

from events.models import Event
from leagues.models import LeagueMember, LeagueMove, LeaguePeriod
from tests.factories import ExclusionFactory, LeagueFactory, given_tiers
from tests.leagues.conftest import day


def moves_of(league, period):
    rows = LeagueMove.objects.filter(league=league, period_start=period[0]).values_list("cluster_id", "rank", "move")
    return sorted(rows)


def test_ties_at_both_zone_edges_go_the_members_way(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=6)
    given_tiers(league, [(6, 0), (2, 2), (0, 0)])
    first, period = day(4), day(3)
    race.gain(first, dict.fromkeys("abcdef", 1))
    race.final(first)  # all six promote to level 2
    race.gain(period, {"a": 5, "b": 5, "c": 5, "d": 1, "e": 1, "f": 1})

    race.final(period)

    # 2 promote: a, b, c tie at rank 1, all promote; 2 demote: d, e, f tie with the last place that stays.
    assert moves_of(league, period) == [
        ("a", 1, "PROMOTE"),
        ("b", 1, "PROMOTE"),
        ("c", 1, "PROMOTE"),
        ("d", 2, "STAY"),
        ("e", 2, "STAY"),
        ("f", 2, "STAY"),
    ]


def test_a_superseded_final_recomputes_the_moves_while_the_next_period_is_empty(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5)
    given_tiers(league, [(1, 0), (0, 0)])
    period = day(3)
    race.gain(period, {"a": 5, "b": 3})
    race.final(period)
    race.gain(period, {"b": 9}, step=2)

    correction = race.final(period, note="b's late wins")

    assert moves_of(league, period) == [("a", 2, "STAY"), ("b", 1, "PROMOTE")]
    assert LeaguePeriod.objects.get(league=league).closed_by_run_id == correction.pk
    assert Event.objects.filter(type="league.period_closed").count() == 1  # one per league per period


def test_a_correction_after_the_next_period_filled_changes_nothing_and_says_so(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5)
    given_tiers(league, [(1, 0), (0, 0)])
    period, following = day(3), day(2)
    race.gain(period, {"a": 5, "b": 3})
    first = race.final(period)
    race.gain(following, {"a": 1, "b": 1})
    race.run(following)
    race.gain(period, {"b": 9}, step=2)

    correction = race.final(period, note="b's late wins")

    closed = LeaguePeriod.objects.get(league=league, period_start=period[0])
    assert moves_of(league, period) == [("a", 1, "PROMOTE"), ("b", 2, "STAY")]
    assert (closed.closed_by_run_id, closed.unapplied_correction_run_id) == (first.pk, correction.pk)
    assert dict(LeagueMember.objects.filter(period_start=following[0]).values_list("cluster_id", "level")) == {
        "a": 2,
        "b": 1,
    }


def test_regenerating_a_non_final_run_never_moves_anyone(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5)
    given_tiers(league, [(1, 0), (0, 1)])
    period = day(3)
    race.gain(period, {"a": 5, "b": 3})
    race.run(period)
    race.run(period)
    assert not LeagueMove.objects.exists()
    race.final(period)
    moves = moves_of(league, period)
    race.gain(period, {"b": 9}, step=2)

    race.run(period)

    assert moves_of(league, period) == moves == [("a", 1, "PROMOTE"), ("b", 2, "STAY")]
    assert LeagueMember.objects.count() == 2


def test_the_period_closed_event_counts_moves_per_tier(board, race):
    league = LeagueFactory(leaderboard=board, key="weekly", cohort_size=2)
    given_tiers(league, [(1, 0), (0, 1)])
    period = day(3)
    race.gain(period, {"a": 5, "b": 3, "c": 1})
    race.final(period)

    data = json.loads(Event.objects.get(type="league.period_closed").body)["data"]

    assert data["key"] == "weekly"
    assert data["tiers"] == [{"level": 1, "name": "Tier 1", "promoted": 2, "stayed": 1, "demoted": 0}]


def test_idle_members_drop_one_tier_with_idle_demotion(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5, idle_demotion=True)
    given_tiers(league, [(2, 0), (0, 0)])
    first, period = day(4), day(3)
    race.gain(first, {"a": 1, "b": 1})
    race.final(first)  # both promote to level 2
    race.gain(period, {"a": 5, "b": 3})
    race.run(period)
    ExclusionFactory(cluster_id="b", leaderboard=board)  # b is not ranked by the final: it gained nothing

    race.final(period)

    assert moves_of(league, period) == [("a", 1, "STAY"), ("b", 2, "DEMOTE")]
