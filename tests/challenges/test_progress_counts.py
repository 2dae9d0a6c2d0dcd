"""challenge_progress_counts: each challenge's number of progress rows, kept by the database's triggers.

The reference is COUNT(*) of the rows, taken after every write of a random sequence of the ways
progress is written (the ETL's upsert, the ORM, bulk inserts, deletes, a row moved to another
challenge); a write rolled back leaves no trace; concurrent writers of one challenge both count.
"""

import datetime
import random

import pytest
from django.db import connection, transaction
from django.db.models import Count

from hedge.challenges.models import ChallengeProgress, ChallengeProgressCount
from hedge.challenges.services.upsert import upsert_progress
from tests.factories import ChallengeFactory, ChallengeProgressFactory
from tests.writes_in_flight import BLOCKED_FOR, InThread, Pause

NOW = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def stored_counts() -> dict[int, int]:
    """The maintained counts, without the zero ones (a challenge whose rows all went keeps a 0)."""
    return {row.challenge_id: row.progress_rows for row in ChallengeProgressCount.objects.all() if row.progress_rows}


def counted() -> dict[int, int]:
    rows = ChallengeProgress.objects.values("challenge").annotate(n=Count("id")).values_list("challenge", "n")
    return dict(rows)


def _upsert(rng, challenges):
    rows = {(f"c{rng.randrange(60)}", rng.choice(challenges).pk): rng.randrange(5) for _ in range(rng.randrange(1, 30))}
    upsert_progress([(cluster, challenge, value) for (cluster, challenge), value in rows.items()], now=NOW)


def _create(rng, challenges):
    challenge = rng.choice(challenges)
    taken = set(ChallengeProgress.objects.filter(challenge=challenge).values_list("cluster_id", flat=True))
    new = [f"n{n}" for n in range(rng.randrange(1, 8))]
    ChallengeProgress.objects.bulk_create(
        ChallengeProgress(challenge=challenge, cluster_id=cluster, updated_at=NOW)
        for cluster in new
        if cluster not in taken
    )


def _delete(rng, challenges):
    ids = list(ChallengeProgress.objects.values_list("id", flat=True))
    ChallengeProgress.objects.filter(id__in=rng.sample(ids, k=min(len(ids), rng.randrange(0, 10)))).delete()


def _move(rng, challenges):
    row = ChallengeProgress.objects.order_by("?").first()
    target = rng.choice(challenges)
    if row and not ChallengeProgress.objects.filter(challenge=target, cluster_id=row.cluster_id).exists():
        ChallengeProgress.objects.filter(pk=row.pk).update(challenge=target)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_the_counts_equal_the_rows_after_every_write_of_a_random_sequence(seed):
    rng = random.Random(seed)
    challenges = ChallengeFactory.create_batch(3)
    ChallengeProgressFactory(challenge=challenges[0])

    for _ in range(40):
        rng.choice([_upsert, _upsert, _create, _delete, _move])(rng, challenges)
        assert stored_counts() == counted()
    assert sum(counted().values()) > 0  # the sequence wrote something


@pytest.mark.django_db
def test_a_write_rolled_back_leaves_the_counts_as_they_were():
    wins = ChallengeFactory()
    ChallengeProgressFactory.create_batch(2, challenge=wins)

    with pytest.raises(RuntimeError), transaction.atomic():
        ChallengeProgressFactory.create_batch(3, challenge=wins)
        ChallengeProgress.objects.filter(challenge=wins).first().delete()
        raise RuntimeError

    assert stored_counts() == {wins.pk: 2}


@pytest.mark.django_db
def test_a_challenge_without_rows_can_still_be_deleted():
    wins = ChallengeFactory()
    ChallengeProgressFactory(challenge=wins).delete()

    wins.delete()

    assert not ChallengeProgressCount.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's (SQLite deletes)")
@pytest.mark.django_db
def test_truncate_empties_every_count():
    ChallengeProgressFactory.create_batch(3)

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows' deferred foreign-key checks, first
        cursor.execute("TRUNCATE challenge_progress")

    assert stored_counts() == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_writers_of_one_challenge_both_count():
    wins = ChallengeFactory()
    holding = Pause()

    def first_writer():
        with transaction.atomic():
            upsert_progress([("alice", wins.pk, 1), ("bob", wins.pk, 2)], now=NOW)
            holding()  # its count's row stays locked until it commits

    def second_writer():
        with transaction.atomic():
            upsert_progress([("carol", wins.pk, 3)], now=NOW)

    first = InThread(first_writer)
    holding.wait_reached()
    second = InThread(second_writer)
    assert not second.finished.wait(BLOCKED_FOR)  # it waits for the first writer's count
    holding.release()
    first.join()
    second.join()

    assert stored_counts() == counted() == {wins.pk: 3}
