import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from seasons.models import Season, SeasonChallengeWeight, SeasonProgress
from tests.factories import ChallengeFactory, SeasonChallengeWeightFactory, SeasonFactory, SeasonProgressFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weight", [0, -3])
def test_database_refuses_a_weight_that_is_not_positive(weight):
    season = SeasonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonChallengeWeightFactory(season=season, weight=weight)
    assert not SeasonChallengeWeight.objects.exists()


def test_database_refuses_a_weight_above_a_million_and_takes_a_million():
    season = SeasonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonChallengeWeightFactory(season=season, weight=1_000_001)

    SeasonChallengeWeightFactory(season=season, weight=1_000_000)

    assert list(SeasonChallengeWeight.objects.values_list("weight", flat=True)) == [1_000_000]


def test_model_validation_names_the_weight_bound():
    weight = SeasonChallengeWeightFactory.build(season=SeasonFactory(), challenge=ChallengeFactory(), weight=1_000_001)

    with pytest.raises(ValidationError) as raised:
        weight.full_clean()

    assert raised.value.message_dict == {"weight": ["Ensure this value is less than or equal to 1000000."]}
    with pytest.raises(ValidationError) as raised:
        weight.validate_constraints()
    assert raised.value.messages == ["A weight must be a whole number from 1 to 1,000,000."]


def test_database_refuses_a_second_weight_for_the_same_challenge_in_a_season():
    weight = SeasonChallengeWeightFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonChallengeWeightFactory(season=weight.season, challenge=weight.challenge, weight=5)
    assert SeasonChallengeWeight.objects.count() == 1


def test_the_same_challenge_may_be_weighted_in_two_seasons():
    challenge = ChallengeFactory()
    SeasonChallengeWeightFactory(challenge=challenge)
    SeasonChallengeWeightFactory(challenge=challenge)
    assert SeasonChallengeWeight.objects.filter(challenge=challenge).count() == 2


def test_database_refuses_a_second_active_season():
    SeasonFactory(is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonFactory(is_active=True)
    assert Season.objects.filter(is_active=True).count() == 1


def test_any_number_of_seasons_may_be_inactive():
    SeasonFactory.create_batch(3, is_active=False)
    assert Season.objects.count() == 3


@pytest.mark.parametrize("length", [datetime.timedelta(0), datetime.timedelta(days=-1)])
def test_database_refuses_a_season_that_does_not_end_after_it_starts(length):
    starts_at = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonFactory(starts_at=starts_at, ends_at=starts_at + length)
    assert not Season.objects.exists()


def test_database_refuses_zero_points_per_level():
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonFactory(points_per_level=0)


def test_database_refuses_two_progress_rows_for_one_cluster_in_a_season():
    row = SeasonProgressFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonProgressFactory(season=row.season, cluster_id=row.cluster_id)


def test_database_refuses_negative_points():
    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonProgressFactory(points=-1)


def test_deleting_a_season_deletes_its_weights_and_progress_only():
    doomed, kept = SeasonFactory(), SeasonFactory()
    for season in (doomed, kept):
        SeasonChallengeWeightFactory(season=season)
        SeasonProgressFactory.create_batch(2, season=season)

    doomed.delete()

    assert list(SeasonChallengeWeight.objects.values_list("season_id", flat=True)) == [kept.pk]
    assert set(SeasonProgress.objects.values_list("season_id", flat=True)) == {kept.pk}


def test_a_weighted_challenge_cannot_be_deleted():
    weight = SeasonChallengeWeightFactory()
    with pytest.raises(ProtectedError):
        weight.challenge.delete()
    assert SeasonChallengeWeight.objects.count() == 1
