"""32 identical requests at once, from real threads (each with its own database connection): one row, one 201."""

import threading

import pytest
from django.db import connection
from django.test import Client

from seasons.models import PremiumGrant, RewardClaim
from tests.factories import (
    APIKeyFactory,
    PremiumGrantFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 32


def post_at_once(path: str, body: dict, *, key) -> list:
    """POST `body` to `path` from THREADS threads released together; the responses in any order."""
    barrier = threading.Barrier(THREADS)
    responses, errors = [], []

    def work():
        client = Client(HTTP_AUTHORIZATION=f"Api-Key {key.plain_key}")
        try:
            barrier.wait()
            responses.append(client.post(path, body, content_type="application/json"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return responses


@pytest.fixture
def season():
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    SeasonRewardFactory(season=season, track="PREMIUM", level=3, name="Gold")
    SeasonProgressFactory(season=season, cluster_id="c1", points=300)
    return season


def test_32_identical_claims_at_once_write_one_claim_and_answer_one_201(season):
    key = APIKeyFactory()
    PremiumGrantFactory(season=season, cluster_id="c1", reference="pay-1")

    responses = post_at_once("/service/seasons/S1/claims", {"clusterId": "c1", "track": "PREMIUM", "level": 3}, key=key)

    assert sorted(r.status_code for r in responses) == [200] * (THREADS - 1) + [201]
    assert RewardClaim.objects.count() == 1
    assert len({r.content for r in responses}) == 1  # every response is the same claim


def test_32_identical_premium_grants_at_once_write_one_grant_and_answer_one_201(season):
    key = APIKeyFactory()

    responses = post_at_once(
        "/service/seasons/S1/premium", {"clusterId": "c1", "reference": "tx-0xabc", "source": "onchain"}, key=key
    )

    assert sorted(r.status_code for r in responses) == [200] * (THREADS - 1) + [201]
    assert PremiumGrant.objects.count() == 1
    assert len({r.content for r in responses}) == 1
