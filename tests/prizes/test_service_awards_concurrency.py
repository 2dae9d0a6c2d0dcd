"""Settling at once from real threads (each with its own connection), on PostgreSQL's row locks and unique index."""

import threading

import pytest
from django.db import connection
from django.test import Client

from prizes.models import AwardStatus, LeaderboardAward
from tests.factories import APIKeyFactory, LeaderboardAwardFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite serializes every writer"),
]

THREADS = 32


def settle_at_once(requests: list[tuple[int, str]], *, key) -> list:
    """POST each (award id, reference) settle from its own thread, released together; the responses in order."""
    barrier = threading.Barrier(len(requests))
    responses, errors = [None] * len(requests), []

    def work(index, award_id, reference):
        client = Client(HTTP_AUTHORIZATION=f"Api-Key {key.plain_key}")
        try:
            barrier.wait()
            responses[index] = client.post(
                f"/service/awards/{award_id}/settle", {"reference": reference}, content_type="application/json"
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return responses


def test_32_identical_settles_at_once_write_one_settlement_and_all_answer_it():
    key = APIKeyFactory()
    award = LeaderboardAwardFactory()

    responses = settle_at_once([(award.pk, "0xabc")] * THREADS, key=key)

    assert [r.status_code for r in responses] == [200] * THREADS
    assert len({r.json()["settledAt"] for r in responses}) == 1
    award.refresh_from_db()
    assert (award.status, award.reference) == (AwardStatus.SETTLED, "0xabc")


def test_two_references_at_once_one_wins_the_other_is_409():
    key = APIKeyFactory()
    award = LeaderboardAwardFactory()

    responses = settle_at_once([(award.pk, "0xaaa"), (award.pk, "0xbbb")], key=key)

    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200).json()["reference"]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["reason"] == "already_settled"
    award.refresh_from_db()
    assert award.reference == winner


def test_one_reference_on_two_awards_at_once_settles_one_the_other_is_409_reference_used():
    key = APIKeyFactory()
    first, second = LeaderboardAwardFactory(), LeaderboardAwardFactory()

    responses = settle_at_once([(first.pk, "0xsame"), (second.pk, "0xsame")], key=key)

    assert sorted(r.status_code for r in responses) == [200, 409]
    assert next(r for r in responses if r.status_code == 409).json()["reason"] == "reference_used"
    assert LeaderboardAward.objects.filter(reference="0xsame").count() == 1
