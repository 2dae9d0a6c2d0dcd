"""The bare /service/awards floor (bench.prize_views) answers what hedge's endpoint answers, and checks the key."""

import datetime

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import APIKeyFactory, LeaderboardAwardFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("bench.urls"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL"),
]


def test_the_floor_answers_the_same_pages_as_hedge():
    client = APIClient(HTTP_AUTHORIZATION=f"Api-Key {APIKeyFactory().plain_key}")
    for n in range(7):
        LeaderboardAwardFactory(data={"tier": n}, rank=1 + n // 2, position=n + 1)
    settled_at = datetime.datetime(2025, 2, 1, 12, tzinfo=datetime.UTC)
    LeaderboardAwardFactory(status="SETTLED", reference="0x1", settled_at=settled_at, api_key=APIKeyFactory())

    for query in ["status=PENDING&limit=3", "status=PENDING&limit=3&after=3", "status=SETTLED&limit=100"]:
        hedge = client.get(f"/service/awards?{query}").json()
        bare = client.get(f"/bench-floor/service/awards?{query}").json()
        if bare["next"]:
            bare["next"] = bare["next"].replace("/bench-floor/", "/", 1)
        assert bare == hedge, query


def test_the_floor_refuses_a_wrong_key():
    response = APIClient(HTTP_AUTHORIZATION="Api-Key abcdefgh.wrong").get("/bench-floor/service/awards")

    assert response.status_code == 401
