"""Prizes per tier: a tier's prize rows go by the rank within each cohort, awarded with the board's final run."""

import json

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from events.models import Event
from prizes.models import AwardStatus, LeaderboardAward, LeaderboardPrize
from prizes.services import settle_award
from tests.factories import (
    APIKeyFactory,
    ExclusionFactory,
    LeaderboardPrizeFactory,
    LeagueFactory,
    given_tiers,
)
from tests.leagues.conftest import day

pytestmark = pytest.mark.django_db

TIER_PAGE = "/admin/leagues/leaguetier/{}/change/"


def tier_awards(run, **filters):
    rows = LeaderboardAward.objects.filter(run_id=run.pk, league_key__isnull=False, **filters)
    return sorted(rows.values_list("cluster_id", "rank", "position", "league_level", "league_cohort", "status"))


def test_each_cohort_of_a_tier_has_its_winners_ties_at_the_boundary_included(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=3)
    (bronze,) = given_tiers(league, [(0, 0)])
    LeaderboardPrizeFactory(league_tier=bronze, rank_from=1, rank_to=1, name="Cohort winner")
    period = day(3)
    race.gain(period, {"a": 9, "b": 5, "c": 5, "d": 4})  # cohort 1: a, b, c; cohort 2: d
    race.run(period)
    race.gain(period, {"e": 1, "b": 4}, step=2)  # e joins cohort 2; b ties a at rank 1 of cohort 1

    final = race.final(period)

    assert tier_awards(final) == [
        ("a", 1, 1, 1, 1, "PENDING"),
        ("b", 1, 2, 1, 1, "PENDING"),
        ("d", 1, 1, 1, 2, "PENDING"),
    ]


def test_a_member_who_gained_nothing_wins_no_tier_prize(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5)
    (bronze,) = given_tiers(league, [(0, 0)])
    LeaderboardPrizeFactory(league_tier=bronze, rank_from=1, rank_to=5)
    period = day(3)
    race.gain(period, {"a": 3, "b": 2})
    race.run(period)
    ExclusionFactory(cluster_id="b", leaderboard=board)  # the final run does not rank b: score 0

    final = race.final(period)

    assert [row[0] for row in tier_awards(final)] == ["a"]


def test_a_cluster_wins_its_board_prize_and_its_tier_prize_in_the_same_run(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5)
    (bronze,) = given_tiers(league, [(0, 0)])
    board_row = LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=1, kind="crate")
    tier_row = LeaderboardPrizeFactory(league_tier=bronze, top_percent=50, kind="token", quantity=5)
    period = day(3)
    race.gain(period, {"a": 3, "b": 2})

    final = race.final(period)

    won = LeaderboardAward.objects.filter(run_id=final.pk, cluster_id="a")
    assert sorted(won.values_list("prize_id", "league_key")) == sorted(
        [(board_row.pk, None), (tier_row.pk, league.key)]
    )
    # One awards.created event for the run, counting both prize tables.
    (event,) = Event.objects.filter(type="awards.created")
    payload = json.loads(event.body)["data"]
    assert (payload["count"], payload["totals"]) == (2, {"crate": 1, "token": 5})


def test_a_superseded_final_re_awards_the_tier_prizes_and_never_pays_one_twice(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5)
    (bronze,) = given_tiers(league, [(0, 0)])
    LeaderboardPrizeFactory(league_tier=bronze, rank_from=1, rank_to=1)
    period = day(3)
    race.gain(period, {"a": 5, "b": 3, "c": 1})
    first = race.final(period)
    (paid,) = LeaderboardAward.objects.filter(run_id=first.pk, cluster_id="a")
    settle_award(paid.pk, reference="tx-a", api_key=APIKeyFactory())
    race.gain(period, {"b": 9}, step=2)

    correction = race.final(period, note="b's late wins")

    assert tier_awards(correction) == [("b", 1, 1, 1, 1, "PENDING")]
    paid.refresh_from_db()
    assert (paid.status, paid.disentitled_by_run_id) == (AwardStatus.SETTLED, correction.pk)
    race.gain(period, {"a": 20}, step=3)

    again = race.final(period, note="a's late wins")

    # a wins again: its paid award is not paid twice (and no longer marked); b's pending one is void.
    assert tier_awards(again) == []
    paid.refresh_from_db()
    assert paid.disentitled_by_run_id is None
    assert tier_awards(correction) == [("b", 1, 1, 1, 1, "VOID")]


def test_a_correction_too_late_for_the_moves_re_awards_what_the_moves_stand_by(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5)
    given_tiers(league, [(1, 0), (0, 0)])
    bronze = league.tiers.get(level=1)
    LeaderboardPrizeFactory(league_tier=bronze, rank_from=1, rank_to=1)
    period, following = day(3), day(2)
    race.gain(period, {"a": 5, "b": 3})
    first = race.final(period)
    race.gain(following, {"a": 1, "b": 1})
    race.run(following)
    race.gain(period, {"b": 9}, step=2)

    correction = race.final(period, note="b's late wins")

    # The league's result stands (a promoted as rank 1): so does its prize, under the run that replaced the first.
    assert tier_awards(first) == [("a", 1, 1, 1, 1, "VOID")]
    assert tier_awards(correction) == [("a", 1, 1, 1, 1, "PENDING")]


def test_the_public_run_awards_are_the_boards_and_the_service_list_names_the_tier(board, race):
    league = LeagueFactory(leaderboard=board, cohort_size=5)
    (bronze,) = given_tiers(league, [(0, 0)])
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=1)
    LeaderboardPrizeFactory(league_tier=bronze, rank_from=1, rank_to=2)
    period = day(3)
    race.gain(period, {"a": 3, "b": 2})
    final = race.final(period)

    public = APIClient().get(f"/leaderboards/{board.key}/runs/{final.pk}/awards").json()

    assert [(a["clusterId"], a["position"]) for a in public["awards"]] == [("a", 1)]


def test_a_prize_row_belongs_to_a_board_or_to_a_tier(board):
    league = LeagueFactory(leaderboard=board)
    (bronze,) = given_tiers(league, [(0, 0)])
    for owners in ({}, {"leaderboard": board, "league_tier": bronze}):
        with pytest.raises(IntegrityError), transaction.atomic():
            LeaderboardPrize.objects.create(rank_from=1, rank_to=1, name="x", kind="token", **owners)


def tier_prize_form(rows: list[dict]) -> dict:
    data = {
        "prizes-TOTAL_FORMS": str(len(rows)),
        "prizes-INITIAL_FORMS": "0",
        "prizes-MIN_NUM_FORMS": "0",
        "prizes-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"prizes-{i}-{name}": value for name, value in row.items()})
    return data


def test_a_tiers_prize_table_is_edited_on_its_page_and_audited(admin_client, board):
    league = LeagueFactory(leaderboard=board, cohort_size=30)
    (bronze,) = given_tiers(league, [(0, 0)])
    row = {"rank_from": "1", "rank_to": "3", "name": "Podium", "kind": "token", "quantity": "10", "data": "{}"}

    response = admin_client.post(TIER_PAGE.format(bronze.pk), tier_prize_form([row]))

    assert response.status_code == 302
    (prize,) = LeaderboardPrize.objects.all()
    assert (prize.league_tier_id, prize.leaderboard_id, prize.rank_to) == (bronze.pk, None, 3)
    assert prize.history.count() == 1
    league_page = admin_client.get(f"/admin/leagues/league/{league.pk}/change/").content.decode()
    assert "1 row (change: the tier&#x27;s page)" in league_page


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"rank_from": "31", "rank_to": "40"}, "holds at most 30 members"),
        ({"rank_from": "3", "rank_to": "1"}, "1 &lt;= from &lt;= to"),
        ({"rank_from": "1", "rank_to": "1", "top_percent": "5"}, "not both"),
    ],
)
def test_a_malformed_tier_prize_is_a_form_error_and_nothing_is_saved(admin_client, board, row, message):
    league = LeagueFactory(leaderboard=board, cohort_size=30)
    (bronze,) = given_tiers(league, [(0, 0)])
    row = {**row, "name": "Prize", "kind": "token", "quantity": "1", "data": "{}"}

    response = admin_client.post(TIER_PAGE.format(bronze.pk), tier_prize_form([row]))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LeaderboardPrize.objects.exists()
