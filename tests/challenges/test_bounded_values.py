"""Progress values are bounded (MAX_PROGRESS_VALUE) in the ETL, the upsert's staging table and the tables."""

import psycopg
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from hedge.challenges.etl import FAILED, run_challenge_etl
from hedge.challenges.models import MAX_PROGRESS_VALUE, ChallengeProgress, ChallengeProgressHistory
from hedge.challenges.services.upsert import upsert_progress
from seasons.models import MAX_WEIGHT
from tests.factories import ChallengeFactory, ChallengeProgressFactory, ChallengeProgressHistoryFactory

pytestmark = pytest.mark.django_db


def test_the_bound_keeps_a_value_times_the_largest_weight_inside_64_bits():
    assert MAX_PROGRESS_VALUE * MAX_WEIGHT < 2**63 - 1


def test_an_extractor_value_above_the_bound_fails_its_challenge_naming_the_cluster():
    wins = ChallengeFactory(code="wins", metric_source="pvp")

    def extractor(challenge):
        yield "fine", 5
        yield "whale", MAX_PROGRESS_VALUE + 1

    run = run_challenge_etl(extractors={"pvp": extractor})

    [outcome] = run.outcomes
    assert outcome.status == FAILED
    assert outcome.error == (
        "ValueError: extractor yielded 1000000000001 for cluster 'whale'; values must be at most 1,000,000,000,000"
    )
    assert not ChallengeProgress.objects.filter(challenge=wins).exists()


def test_the_bound_itself_is_accepted_by_the_etl():
    ChallengeFactory(code="wins", metric_source="pvp")

    run_challenge_etl(extractors={"pvp": lambda challenge: [("whale", MAX_PROGRESS_VALUE)]})

    assert ChallengeProgress.objects.get().value == MAX_PROGRESS_VALUE


def test_the_staging_table_refuses_a_value_above_the_bound_before_anything_is_written():
    wins = ChallengeFactory(code="wins")

    # COPY (PostgreSQL) reports the driver's own error; executemany (SQLite) Django's.
    with (
        pytest.raises((IntegrityError, psycopg.errors.CheckViolation), match=r"(?i)check constraint"),
        transaction.atomic(),
    ):
        upsert_progress([("ok", wins.id, 1), ("whale", wins.id, 2**63 - 1)], now=timezone.now())

    assert not ChallengeProgress.objects.exists()
    assert not ChallengeProgressHistory.objects.exists()


@pytest.mark.parametrize("row_factory", [ChallengeProgressFactory, ChallengeProgressHistoryFactory])
def test_the_tables_refuse_a_value_above_the_bound(row_factory):
    progress = ChallengeProgressFactory(value=1)

    with pytest.raises(IntegrityError, match="value_at_most_max"), transaction.atomic():
        row_factory(challenge=progress.challenge, cluster_id="whale", value=MAX_PROGRESS_VALUE + 1)
