"""challenge_progress_history by month on PostgreSQL: partitions made ahead, whole months dropped by the prune."""

import datetime
import io
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from hedge.challenges.etl import run_challenge_etl
from hedge.challenges.models import ChallengeProgressHistory
from hedge.challenges.services.history import create_history_partitions, prune_progress_history
from hedge.challenges.services.imports import import_progress
from tests.factories import ChallengeFactory, SeasonFactory, given_history
from tests.gains_reference import (
    gains_of_every_period,
    history_rows,
    periods_from,
    random_history,
    rows_the_prune_keeps,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
DAY = datetime.timedelta(days=1)
JANUARY, FEBRUARY, MARCH, APRIL, MAY, JUNE = (datetime.datetime(2025, month, 1, tzinfo=UTC) for month in range(1, 7))
BASE = "challenge_progress_history_base"


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("history is partitioned on PostgreSQL only; SQLite keeps one table")


def partitions() -> dict[str, int]:
    """{partition name: rows it holds}."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, COUNT(h.id) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "LEFT JOIN challenge_progress_history h ON h.tableoid = c.oid "
            "WHERE i.inhparent = 'challenge_progress_history'::regclass GROUP BY c.relname"
        )
        return dict(cursor.fetchall())


@pytest.fixture
def history():
    """70 days of history (April 21 .. June 30) in the April, May, June and July partitions.

    Cluster "quiet" changes twice in April, then not until June 25: its April 25 row is June's baseline.
    """
    challenges = [ChallengeFactory(code="a"), ChallengeFactory(code="b")]
    random_history(random.Random(7), challenges, clusters=20, first=NOW - 70 * DAY, days=70, per_day=2)
    for value, at in ((5, APRIL + 21 * DAY), (8, APRIL + 24 * DAY), (10, JUNE + 24 * DAY)):
        given_history(challenges[0], {"quiet": value}, at=at)
    create_history_partitions(now=APRIL, months_ahead=3)
    return challenges


def test_the_months_ahead_are_created_and_a_row_beyond_them_lands_in_the_default_partition():
    wins = ChallengeFactory(code="wins")

    created = create_history_partitions(now=MAY + 9 * DAY, months_ahead=2)
    given_history(wins, {"alice": 5}, at=datetime.datetime(2030, 1, 1, tzinfo=UTC))

    assert created == [f"challenge_progress_history_2025_{month:02}" for month in (5, 6, 7)]
    assert create_history_partitions(now=MAY + 9 * DAY, months_ahead=2) == []
    assert partitions()["challenge_progress_history_default"] == 1


def test_a_new_month_takes_the_rows_the_default_partition_held_for_it():
    wins = ChallengeFactory(code="wins")
    given_history(wins, {"alice": 5, "bob": 3}, at=MAY + 3 * DAY)
    given_history(wins, {"alice": 6}, at=JUNE + DAY)

    create_history_partitions(now=MAY, months_ahead=0)

    held = partitions()
    assert (held["challenge_progress_history_2025_05"], held["challenge_progress_history_default"]) == (2, 1)


def test_the_etl_and_the_import_create_the_partition_of_the_month_they_write():
    ChallengeFactory(code="wins", metric_source="src")

    run_challenge_etl(extractors={"src": lambda challenge: [("alice", 5)]}, now=MAY)
    import_progress(io.StringIO("cluster_id,challenge_code,value\nbob,wins,3\n"), now=JUNE + DAY)

    held = partitions()
    assert held["challenge_progress_history_2025_05"] == 1
    assert held["challenge_progress_history_2025_06"] == 1
    assert held["challenge_progress_history_default"] == 0


@pytest.mark.parametrize("batch_size", [10_000, 7])
def test_pruning_drops_the_months_before_the_cutoff_and_keeps_every_gain_after_it(history, batch_size):
    cutoff = NOW - 40 * DAY  # May 21: April is wholly before it, May is not
    periods = [*periods_from(cutoff, now=NOW), *periods_from(cutoff + datetime.timedelta(hours=5), now=NOW)]
    launch = [(NOW - 90 * DAY, NOW - 5 * DAY), (NOW - 90 * DAY, NOW + DAY)]
    before, before_launch = (
        gains_of_every_period(history, periods, now=NOW),
        gains_of_every_period(history, launch, now=NOW),
    )
    april_rows = partitions()["challenge_progress_history_2025_04"]
    may = set(ChallengeProgressHistory.objects.filter(recorded_at__gte=MAY).values_list("pk", flat=True))

    result = prune_progress_history(keep_days=40, now=NOW, batch_size=batch_size)

    assert result.cutoff == cutoff
    assert result.dropped_partitions == ("challenge_progress_history_2025_04",)
    held = partitions()
    assert "challenge_progress_history_2025_04" not in held
    assert 0 < held["challenge_progress_history_base"] < april_rows  # what April's gains still need
    assert held["challenge_progress_history_default"] == 0
    assert result.deleted == april_rows - held["challenge_progress_history_base"]
    assert may <= set(ChallengeProgressHistory.objects.values_list("pk", flat=True))  # May stays whole
    assert gains_of_every_period(history, periods, now=NOW) == before
    assert before[(history[0].pk, (cutoff, NOW + 30 * DAY))]["quiet"] == 2
    assert gains_of_every_period(history, launch, now=NOW) == before_launch
    assert prune_progress_history(keep_days=40, now=NOW).deleted == 0


def test_pruning_a_later_month_rebuilds_the_baseline_without_the_rows_no_gain_needs_any_more(history):
    prune_progress_history(keep_days=40, now=NOW)
    carried = partitions()["challenge_progress_history_base"]
    periods = periods_from(NOW - 5 * DAY, now=NOW)
    before = gains_of_every_period(history, periods, now=NOW)

    result = prune_progress_history(keep_days=5, now=NOW)

    assert result.dropped_partitions == ("challenge_progress_history_2025_05",)
    assert partitions()["challenge_progress_history_base"] <= carried + 40  # at most 2 rows per pair
    assert gains_of_every_period(history, periods, now=NOW) == before


def base_bound() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = to_regclass(%s)", [BASE])
        row = cursor.fetchone()
    return row and row[0]


def index_columns(table: str) -> list[str]:
    """The column lists of `table`'s indexes (a partition's, named after it, compare with another's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT regexp_replace(indexdef, '^.* USING ', '') FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
        )
        return [definition for (definition,) in cursor.fetchall()]


@pytest.fixture
def months():
    """History from January 1 to July 10 in two challenges, the months from February on in partitions.

    January never had one: its rows are in the DEFAULT partition, where the first prune (nothing to drop
    yet) leaves the rows a gain needs, as an earlier version left the rows it carried there.
    """
    challenges = [ChallengeFactory(code="a"), ChallengeFactory(code="b")]
    create_history_partitions(now=FEBRUARY, months_ahead=6)
    random_history(random.Random(11), challenges, clusters=12, first=JANUARY, days=190, per_day=1)
    with connection.cursor() as cursor:  # the deferred foreign-key checks run now, as at the writes' commit:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a partition with checks pending cannot be dropped
    return challenges


def test_monthly_prunes_in_a_row_keep_exactly_the_rows_of_the_rule_and_every_kept_gain(months):
    now = datetime.datetime(2025, 7, 10, 12, 0, tzinfo=UTC)
    for cutoff, dropped, bound in [
        (FEBRUARY + DAY / 2, None, FEBRUARY),  # no month to drop: the DEFAULT partition's batched delete
        (MARCH + DAY / 2, "2025_02", MARCH),  # folds January's rows, carried as an earlier version did
        (APRIL + 9 * DAY + DAY / 2, "2025_03", APRIL),
        (MAY + DAY / 2, "2025_04", MAY),  # after an import into February, which the baseline holds
        (JUNE + 14 * DAY + DAY / 2, "2025_05", JUNE),
    ]:
        every_day = periods_from(cutoff, now=now)
        periods = [*every_day[:-2:3], *every_day[-2:]]
        before, rows = gains_of_every_period(months, periods, now=now), history_rows()

        result = prune_progress_history(keep_days=(now - cutoff).days, now=now)

        assert result.cutoff == cutoff
        assert result.dropped_partitions == ((f"challenge_progress_history_{dropped}",) if dropped else ())
        assert set(history_rows()) == rows_the_prune_keeps(rows, cutoff=cutoff, whole_from=bound)
        assert result.deleted == len(rows) - len(history_rows()) > 0
        assert gains_of_every_period(months, periods, now=now) == before
        held = partitions()
        if dropped is None:
            assert held["challenge_progress_history_default"] > 0 and BASE not in held
            continue
        assert base_bound() == f"FOR VALUES FROM (MINVALUE) TO ('{bound:%Y-%m-%d} 00:00:00+00')"
        assert held["challenge_progress_history_default"] == 0 < held[BASE]
        assert index_columns(BASE) == index_columns(f"challenge_progress_history_{bound:%Y_%m}")
        if bound == APRIL:
            import_progress(io.StringIO("cluster_id,challenge_code,value\nc00,a,123456789\n"), now=FEBRUARY + 14 * DAY)
            assert partitions()[BASE] == held[BASE] + 1
    assert create_history_partitions(now=JANUARY, months_ahead=6) == []  # January to May lie in the baseline


def test_a_season_that_is_not_final_keeps_its_months(history):
    season = SeasonFactory(starts_at=APRIL + 25 * DAY, ends_at=NOW + 10 * DAY, scoring="GAINS")
    before = gains_of_every_period(history, [(season.starts_at, season.ends_at)], now=NOW)

    result = prune_progress_history(keep_days=10, now=NOW)

    assert result.cutoff == season.starts_at
    assert result.dropped_partitions == ()
    assert gains_of_every_period(history, [(season.starts_at, season.ends_at)], now=NOW) == before


def test_the_commands_name_the_partitions_they_create_and_drop(history):
    out = StringIO()

    call_command("create_history_partitions", "--months-ahead", "0", stdout=out)
    call_command("create_history_partitions", "--months-ahead", "0", stdout=out)
    call_command("prune_progress_history", "--keep-days", "40", stdout=out)  # 40 days before today

    lines = out.getvalue().splitlines()
    assert lines[0].startswith(("0 history partitions created", "1 history partitions created: "))
    assert lines[1] == "0 history partitions created"
    months = ", ".join(f"challenge_progress_history_2025_{month:02}" for month in (4, 5, 6, 7))
    assert lines[-1] == f"partitions dropped: {months}"


def test_the_command_refuses_a_negative_number_of_months():
    with pytest.raises(CommandError, match="--months-ahead must be at least 0"):
        call_command("create_history_partitions", "--months-ahead", "-1")
