"""leaderboards.serializers"""

from rest_framework import serializers

from leaderboards.serializers import LeaderboardEntrySerializer


def test_the_entry_serializer_writes_what_its_declared_fields_would():
    entry = {"rank": 2, "position": 3, "cluster_id": "c-1", "score": 10, "tiebreaker": 4, "payload": {"k": [1, None]}}
    serializer = LeaderboardEntrySerializer()

    generic = serializers.Serializer.to_representation(serializer, entry)

    assert list(serializer.to_representation(entry).items()) == list(generic.items())
