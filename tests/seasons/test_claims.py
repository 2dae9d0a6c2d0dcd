"""The claim and premium services (seasons.services): the rules a claim is decided by, and idempotency."""

import datetime

import pytest
from django.utils import timezone

from seasons.errors import ClaimRefused, UnknownLevel
from seasons.models import PremiumGrant, RewardClaim
from seasons.services import claim_reward, grant_premium, recompute_season
from tests.factories import (
    APIKeyFactory,
    ChallengeFactory,
    PremiumGrantFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
    given_curve,
    given_history,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def season():
    """A running season with a 30-level flat curve (100 points a level) and a reward on every level of both tracks."""
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    given_curve(season, [100 * n for n in range(1, 31)])
    for level in range(1, 31):
        SeasonRewardFactory(season=season, track="FREE", level=level, name=f"Free {level}")
        SeasonRewardFactory(season=season, track="PREMIUM", level=level, name=f"Premium {level}", kind="token")
    return season


def test_a_claim_of_a_reached_level_is_written_once_with_what_it_granted(season, key):
    SeasonProgressFactory(season=season, cluster_id="c1", points=550)
    SeasonRewardFactory(season=season, track="FREE", level=5, name="Extra", kind="role", quantity=3, data={"id": 7})

    first = claim_reward(season, cluster_id="c1", track="FREE", level=5, api_key=key)
    again = claim_reward(season, cluster_id="c1", track="FREE", level=5, api_key=APIKeyFactory())

    assert (first.created, again.created, again.row.pk) == (True, False, first.row.pk)
    claim = RewardClaim.objects.get()
    assert (claim.level_at_claim, claim.points_at_claim, claim.api_key_id) == (5, 550, key.pk)
    assert claim.rewards == [
        {"name": "Extra", "description": "", "kind": "role", "quantity": 3, "data": {"id": 7}},
        {"name": "Free 5", "description": "", "kind": "badge", "quantity": 1, "data": {}},
    ]


def test_a_level_not_reached_is_refused_and_writes_nothing(season, key):
    SeasonProgressFactory(season=season, cluster_id="c1", points=499)

    with pytest.raises(ClaimRefused) as refused:
        claim_reward(season, cluster_id="c1", track="FREE", level=5, api_key=key)

    assert refused.value.reason == "level_not_reached"
    assert str(refused.value) == "Cluster 'c1' is at level 4 of season S1 (499 points); level 5 is not reached."
    assert not RewardClaim.objects.exists()


def test_a_cluster_without_progress_is_at_level_zero(season, key):
    with pytest.raises(ClaimRefused, match="level 0") as refused:
        claim_reward(season, cluster_id="nobody", track="FREE", level=1, api_key=key)

    assert refused.value.reason == "level_not_reached"


def test_a_level_without_rewards_on_the_track_is_unknown(season, key):
    SeasonProgressFactory(season=season, cluster_id="c1", points=3000)

    with pytest.raises(UnknownLevel, match=r"Season S1 has no FREE reward at level 31\."):
        claim_reward(season, cluster_id="c1", track="FREE", level=31, api_key=key)


def test_premium_rewards_need_the_premium_pass(season, key):
    SeasonProgressFactory(season=season, cluster_id="c1", points=3000)

    with pytest.raises(ClaimRefused) as refused:
        claim_reward(season, cluster_id="c1", track="PREMIUM", level=1, api_key=key)

    assert refused.value.reason == "premium_required"
    assert not RewardClaim.objects.exists()


def test_premium_bought_after_level_20_makes_premium_levels_1_to_20_claimable_at_once(season, key):
    SeasonProgressFactory(season=season, cluster_id="c1", points=2050)  # level 20
    grant_premium(season, cluster_id="c1", reference="pay-1", source="stripe", api_key=key)

    claims = [claim_reward(season, cluster_id="c1", track="PREMIUM", level=n, api_key=key) for n in range(1, 21)]

    assert all(written.created for written in claims)
    assert sorted(RewardClaim.objects.filter(track="PREMIUM").values_list("level", flat=True)) == list(range(1, 21))
    with pytest.raises(ClaimRefused, match="level 21 is not reached"):
        claim_reward(season, cluster_id="c1", track="PREMIUM", level=21, api_key=key)


def test_unclaimed_rewards_of_an_ended_season_stay_claimable_until_claims_close(key):
    now = timezone.now()
    season = SeasonFactory(starts_at=now - datetime.timedelta(days=40), ends_at=now - datetime.timedelta(days=10))
    SeasonRewardFactory(season=season, level=1)
    SeasonProgressFactory(season=season, cluster_id="c1", points=1000)

    assert season.claims_deadline == season.ends_at + datetime.timedelta(days=14)
    assert claim_reward(season, cluster_id="c1", track="FREE", level=1, api_key=key).created


@pytest.mark.parametrize("explicit", [False, True])
def test_a_season_past_claims_close_refuses_claims(key, explicit):
    now = timezone.now()
    season = SeasonFactory(starts_at=now - datetime.timedelta(days=60), ends_at=now - datetime.timedelta(days=20))
    if explicit:
        season.claims_close_at = now - datetime.timedelta(seconds=1)
        season.save()
    SeasonRewardFactory(season=season, level=1)
    SeasonProgressFactory(season=season, cluster_id="c1", points=1000)

    with pytest.raises(ClaimRefused) as refused:
        claim_reward(season, cluster_id="c1", track="FREE", level=1, api_key=key)

    assert refused.value.reason == "claims_closed"
    assert not RewardClaim.objects.exists()


def test_a_claim_made_before_claims_closed_is_still_returned_after(key):
    now = timezone.now()
    season = SeasonFactory(starts_at=now - datetime.timedelta(days=60), ends_at=now - datetime.timedelta(days=20))
    SeasonRewardFactory(season=season, level=1)
    SeasonProgressFactory(season=season, cluster_id="c1", points=1000)
    made = claim_reward(
        season, cluster_id="c1", track="FREE", level=1, api_key=key, now=now - datetime.timedelta(days=10)
    )

    again = claim_reward(season, cluster_id="c1", track="FREE", level=1, api_key=key, now=now)

    assert (again.created, again.row.pk) == (False, made.row.pk)


def test_a_level_lost_to_a_corrected_value_keeps_its_claim_but_refuses_new_ones(key):
    start = timezone.now() - datetime.timedelta(days=2)
    season = SeasonFactory(id="G1", scoring="GAINS", points_per_level=100, starts_at=start)
    challenge = ChallengeFactory(code="wins")
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=1)
    for level in (1, 2, 3):
        SeasonRewardFactory(season=season, level=level)
    given_history(challenge, {"c1": 0}, at=start - datetime.timedelta(days=1))
    given_history(challenge, {"c1": 320}, at=start + datetime.timedelta(hours=1))
    recompute_season(season)
    claim_reward(season, cluster_id="c1", track="FREE", level=3, api_key=key)

    given_history(challenge, {"c1": 120}, at=start + datetime.timedelta(hours=2))  # the value was corrected down
    recompute_season(season)

    assert RewardClaim.objects.filter(cluster_id="c1", level=3).exists()
    assert claim_reward(season, cluster_id="c1", track="FREE", level=3, api_key=key).created is False
    assert claim_reward(season, cluster_id="c1", track="FREE", level=1, api_key=key).created
    with pytest.raises(ClaimRefused, match="at level 1"):
        claim_reward(season, cluster_id="c1", track="FREE", level=2, api_key=key)


def test_claims_follow_the_current_curve_of_the_stored_points(season, key):
    SeasonProgressFactory(season=season, cluster_id="c1", points=250, level=2)
    season.levels.filter(level=2).update(points_required=260)

    with pytest.raises(ClaimRefused, match="at level 1"):
        claim_reward(season, cluster_id="c1", track="FREE", level=2, api_key=key)


def test_progress_stored_before_the_season_starts_counts_nothing(key):
    season = SeasonFactory(starts_at=timezone.now() + datetime.timedelta(days=1))
    SeasonRewardFactory(season=season, level=1)
    SeasonProgressFactory(season=season, cluster_id="c1", points=5000)

    with pytest.raises(ClaimRefused, match="at level 0"):
        claim_reward(season, cluster_id="c1", track="FREE", level=1, api_key=key)


# --- premium -------------------------------------------------------------------------------------


def test_premium_is_granted_once_per_reference(season, key):
    first = grant_premium(season, cluster_id="c1", reference="pay-1", source="stripe", api_key=key)
    again = grant_premium(season, cluster_id="c1", reference="pay-1", source="stripe", api_key=APIKeyFactory())

    assert (first.created, again.created, again.row.pk) == (True, False, first.row.pk)
    grant = PremiumGrant.objects.get()
    assert (grant.cluster_id, grant.reference, grant.source, grant.api_key_id) == ("c1", "pay-1", "stripe", key.pk)


def test_a_reference_used_for_another_cluster_is_refused(season, key):
    PremiumGrantFactory(season=season, cluster_id="c1", reference="pay-1")

    with pytest.raises(ClaimRefused) as refused:
        grant_premium(season, cluster_id="c2", reference="pay-1", source="stripe", api_key=key)

    assert refused.value.reason == "reference_used"
    assert PremiumGrant.objects.count() == 1


def test_a_second_payment_for_a_cluster_that_has_premium_is_refused_and_not_recorded(season, key):
    PremiumGrantFactory(season=season, cluster_id="c1", reference="pay-1")

    with pytest.raises(ClaimRefused, match="already has premium in season S1 \\(reference 'pay-1'") as refused:
        grant_premium(season, cluster_id="c1", reference="pay-2", source="stripe", api_key=key)

    assert refused.value.reason == "already_premium"
    assert list(PremiumGrant.objects.values_list("reference", flat=True)) == ["pay-1"]


def test_the_same_reference_may_buy_premium_in_another_season(season, key):
    other = SeasonFactory(id="S2")
    PremiumGrantFactory(season=other, cluster_id="c1", reference="pay-1")

    assert grant_premium(season, cluster_id="c1", reference="pay-1", source="stripe", api_key=key).created


def test_premium_after_claims_closed_is_refused(key):
    now = timezone.now()
    season = SeasonFactory(starts_at=now - datetime.timedelta(days=60), ends_at=now - datetime.timedelta(days=15))

    with pytest.raises(ClaimRefused) as refused:
        grant_premium(season, cluster_id="c1", reference="late", source="stripe", api_key=key)

    assert refused.value.reason == "claims_closed"
