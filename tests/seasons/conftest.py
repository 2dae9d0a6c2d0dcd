import pytest

from tests.factories import ChallengeFactory, SeasonChallengeWeightFactory, SeasonFactory


@pytest.fixture
def season(db):
    """The active season: flagged active, running from a week ago for 30 days, scored on lifetime values (v1)."""
    return SeasonFactory(id="S1-TEST", is_active=True, points_per_level=1000, scoring="LIFETIME")


@pytest.fixture
def weighted(season):
    """Three challenges weighted 1, 2 and 3 in the active season, and one left out of it."""
    challenges = [ChallengeFactory(code=code) for code in ("alpha", "beta", "gamma", "unweighted")]
    for challenge, weight in zip(challenges[:3], (1, 2, 3), strict=True):
        SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=weight)
    return {challenge.code: challenge for challenge in challenges}
