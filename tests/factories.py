"""One factory per model. Build data with these; never with raw SQL or fixtures."""

import datetime

import factory
from django.utils import timezone

from hedge.challenges.models import (
    Challenge,
    ChallengeCategory,
    ChallengeProgress,
    ChallengeProgressHistory,
    ChallengeTier,
)
from seasons.models import Season, SeasonChallengeWeight, SeasonProgress

# --- challenges ---------------------------------------------------------------------------------


class ChallengeCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChallengeCategory
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"category_{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("_", " ").title())


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"challenge_{n}")
    category = factory.SubFactory(ChallengeCategoryFactory)
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").title())
    metric_source = "test_source"
    metric_key = factory.LazyAttribute(lambda o: o.code)
    is_active = True


class ChallengeTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChallengeTier

    challenge = factory.SubFactory(ChallengeFactory)
    tier = factory.Sequence(lambda n: n + 1)
    threshold = factory.LazyAttribute(lambda o: o.tier * 10)


class ChallengeProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChallengeProgress

    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    challenge = factory.SubFactory(ChallengeFactory)
    value = 0
    current_tier = 0
    updated_at = factory.LazyFunction(timezone.now)


class ChallengeProgressHistoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChallengeProgressHistory

    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    challenge = factory.SubFactory(ChallengeFactory)
    value = 0
    recorded_at = factory.LazyFunction(timezone.now)


# --- seasons ------------------------------------------------------------------------------------


class SeasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Season

    id = factory.Sequence(lambda n: f"SEASON-{n}")
    name = factory.LazyAttribute(lambda o: f"Season {o.id}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(days=30))
    is_active = False
    points_per_level = 1000


class SeasonChallengeWeightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeasonChallengeWeight

    season = factory.SubFactory(SeasonFactory)
    challenge = factory.SubFactory(ChallengeFactory)
    weight = 1


class SeasonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeasonProgress

    season = factory.SubFactory(SeasonFactory)
    cluster_id = factory.Sequence(lambda n: f"cluster-{n:07d}")
    points = 0
    level = 0
    updated_at = factory.LazyFunction(timezone.now)


# --- leaderboards -------------------------------------------------------------------------------
