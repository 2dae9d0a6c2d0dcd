"""leaderboards.api.serializers"""

import pytest

from leaderboards.api.serializers import LeaderboardEntrySerializer
from tests.factories import ChallengeFactory, LeaderboardRunFactory

pytestmark = pytest.mark.django_db


def test_an_entry_payload_names_the_run_challenges_and_carries_the_entry_fallback_value():
    run = LeaderboardRunFactory(
        challenge=ChallengeFactory(code="wins"), fallback_challenge=ChallengeFactory(code="streak")
    )
    entry = {
        "rank": 2,
        "position": 3,
        "cluster_id": "c-1",
        "score": 10,
        "tiebreaker": 4,
        "fallback_value": None,
        "previous_rank": 5,
    }

    data = LeaderboardEntrySerializer(entry, context={"run": run}).data

    assert data == {
        "rank": 2,
        "position": 3,
        "clusterId": "c-1",
        "score": 10,
        "tiebreaker": 4,
        "previousRank": 5,
        "rankChange": 3,
        "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": None},
        "displayName": None,
        "avatarUrl": None,
    }
