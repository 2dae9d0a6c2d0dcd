import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from leaderboards.models import LeaderboardDef
from leaderboards.resolve import resolve_challenges
from tests.factories import (
    ChallengeCategoryFactory,
    ChallengeFactory,
    LeaderboardDefFactory,
    LeaderboardEntryFactory,
    LeaderboardRunFactory,
)

pytestmark = pytest.mark.django_db


def definition(**fields) -> LeaderboardDef:
    values = {
        "key": "lb_pvp_alltime_wins",
        "name": "PvP wins",
        "category_key": "pvp_competition",
        "metric_source": "onchain_pvp",
        "metric_key": "wins",
        "time_window": "ALL_TIME",
    }
    return LeaderboardDef(**{**values, **fields})


def errors_of(candidate: LeaderboardDef) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        candidate.full_clean()
    return raised.value.message_dict


def test_the_requests_definition_resolves_to_pvp_wins_with_best_streak_as_fallback(catalogue):
    candidate = definition(fallback_metric_key="best_streak")

    candidate.full_clean()

    resolved = resolve_challenges(candidate)
    assert (resolved.challenge.code, resolved.fallback.code) == ("pvp_wins", "pvp_best_streak")


def test_an_unknown_category_is_named(catalogue):
    assert errors_of(definition(category_key="pvp")) == {"category_key": ["There is no challenge category 'pvp'."]}


def test_an_unknown_metric_source_lists_the_sources_of_the_category(catalogue):
    assert errors_of(definition(metric_source="offchain_pvp")) == {
        "metric_source": [
            "No challenge in category 'pvp_competition' has metric source 'offchain_pvp' (sources there: onchain_pvp)."
        ]
    }


def test_an_unknown_metric_key_lists_the_keys_there_are(catalogue):
    assert errors_of(definition(metric_key="losses")) == {
        "metric_key": [
            "No challenge in category 'pvp_competition' with metric source 'onchain_pvp' has the metric key 'losses'"
            " (keys there: best_streak, bounties_claimed, wins)."
        ]
    }


def test_an_unknown_fallback_metric_is_an_error_on_the_fallback_field(catalogue):
    assert errors_of(definition(fallback_metric_key="draws")) == {
        "fallback_metric_key": [
            "No challenge in category 'pvp_competition' with metric source 'onchain_pvp' has the fallback metric key"
            " 'draws' (keys there: best_streak, bounties_claimed, wins)."
        ]
    }


def test_the_fallback_cannot_be_the_metric_itself(catalogue):
    assert errors_of(definition(fallback_metric_key="wins")) == {
        "fallback_metric_key": ["The tiebreak challenge must differ from the challenge itself."]
    }


def test_a_metric_matching_several_challenges_names_them():
    category = ChallengeCategoryFactory(key="pvp_competition")
    ChallengeFactory(code="wins_a", category=category, metric_source="onchain_pvp", metric_key="wins")
    ChallengeFactory(code="wins_b", category=category, metric_source="onchain_pvp", metric_key="wins")

    assert errors_of(definition()) == {
        "metric_key": [
            "The metric resolves to several challenges (wins_a, wins_b) in category 'pvp_competition',"
            " metric source 'onchain_pvp', metric key 'wins'; it must be one."
        ]
    }


def test_a_metric_matching_only_a_deactivated_challenge_says_so():
    category = ChallengeCategoryFactory(key="pvp_competition")
    ChallengeFactory(
        code="old_wins", category=category, metric_source="onchain_pvp", metric_key="wins", is_active=False
    )

    assert errors_of(definition())["metric_key"] == [
        "The metric resolves only to the inactive challenge(s) old_wins"
        " (category 'pvp_competition', metric source 'onchain_pvp', metric key 'wins')."
    ]


def test_a_deactivated_duplicate_does_not_make_a_metric_ambiguous():
    category = ChallengeCategoryFactory(key="pvp_competition")
    ChallengeFactory(
        code="old_wins", category=category, metric_source="onchain_pvp", metric_key="wins", is_active=False
    )
    current = ChallengeFactory(code="wins", category=category, metric_source="onchain_pvp", metric_key="wins")

    assert resolve_challenges(definition()).challenge == current


def test_the_key_cannot_be_changed_once_created(catalogue):
    candidate = definition()
    candidate.full_clean()
    candidate.save()

    candidate.key = "renamed"

    assert errors_of(candidate) == {"key": ["The key cannot be changed once created; runs and URLs refer to it."]}


def test_a_definition_whose_challenge_left_the_catalogue_can_still_be_deactivated(wins):
    stale = LeaderboardDefFactory(challenge=wins)
    wins.is_active = False
    wins.save()
    assert "metric_key" in errors_of(stale)

    stale.is_active = False
    stale.full_clean()

    stale.metric_key = "still_missing"
    assert errors_of(stale) == {
        "metric_source": [
            f"No challenge in category {wins.category.key!r} has metric source 'pvp' (sources there: none)."
        ]
    }


@pytest.mark.parametrize("key", ["Has_Capitals", "with space", "-leading-dash", "slash/inside", ""])
def test_a_key_must_be_slug_like(catalogue, key):
    assert "key" in errors_of(definition(key=key))


def test_choices_and_max_entries_are_validated(catalogue):
    errors = errors_of(definition(time_window="HOURLY", rank_mode="OLYMPIC", max_entries=-1))

    assert set(errors) == {"time_window", "rank_mode", "max_entries"}


def test_the_database_refuses_an_unknown_time_window_or_rank_mode(wins):
    for fields in ({"time_window": "HOURLY"}, {"rank_mode": "OLYMPIC"}, {"fallback_metric_key": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            LeaderboardDefFactory(challenge=wins, **fields)


def test_the_database_refuses_a_run_whose_period_does_not_start_before_it_ends(wins):
    moment = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaderboardRunFactory(leaderboard__challenge=wins, period_start=moment, period_end=moment)


def test_the_database_refuses_a_complete_run_without_a_finish_time(wins):
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaderboardRunFactory(leaderboard__challenge=wins, status="COMPLETE", finished_at=None)


def test_the_database_refuses_two_entries_at_one_position_or_one_cluster_twice_in_a_run(wins):
    run = LeaderboardRunFactory(leaderboard__challenge=wins)
    LeaderboardEntryFactory(run=run, cluster_id="alice", position=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        LeaderboardEntryFactory(run=run, cluster_id="bob", position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaderboardEntryFactory(run=run, cluster_id="alice", position=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaderboardEntryFactory(run=run, cluster_id="carol", position=0, rank=0)
