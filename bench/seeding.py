"""Synthetic data for a benchmark run, written set-based: one INSERT ... SELECT for all the progress.

Every cluster has a row in every benchmark challenge. Values follow `floor(u^4 x 100,000)` for a
uniform `u`: many small values (about 6% are 0), a long tail of large ones, and ties at every
level (a few clusters share each value even at the top), as real challenge progress has. On
PostgreSQL `u` comes from `hashint8`, so the same sizes always give the same data.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from hedge.challenges.config import CategorySpec, ChallengeSpec, TierSpec
from hedge.challenges.models import Challenge
from hedge.challenges.services.catalogue import sync_challenge_config
from leaderboards.models import LeaderboardDef, RankMode, TimeWindow
from seasons.models import Season, SeasonChallengeWeight

CATEGORY_KEY = "bench"
METRIC_SOURCE = "bench"
SEASON_ID = "BENCH"
POINTS_PER_LEVEL = 1000
TOP_KEY = "bench_top_1000"
FULL_KEY = "bench_full"
TIER_THRESHOLDS = (100, 1_000, 10_000, 50_000, 90_000)
# An odd multiplier is a bijection modulo 2^32, so cluster ids are unique and in scrambled order.
_ID_MULTIPLIER = 2654435761


def cluster_id(number: int) -> str:
    """The id of seeded cluster `number` (1..clusters); the Python twin of the seeding SQL."""
    return f"cl_{(number * _ID_MULTIPLIER) % 2**32:08x}"


def challenge_code(number: int) -> str:
    return f"bench_c{number:02d}"


def metric_key(number: int) -> str:
    return f"metric_{number:02d}"


@dataclass(frozen=True)
class Seeded:
    clusters: int
    challenges: int
    progress_rows: int
    seconds: float
    analyze_seconds: float
    season_id: str
    top_key: str
    full_key: str


def _catalogue(challenges: int) -> tuple[CategorySpec, ...]:
    tiers = tuple(TierSpec(tier=i, threshold=t) for i, t in enumerate(TIER_THRESHOLDS, start=1))
    return (
        CategorySpec(
            key=CATEGORY_KEY,
            name="Benchmark",
            description="Synthetic challenges of manage.py bench.",
            challenges=tuple(
                ChallengeSpec(
                    code=challenge_code(i),
                    name=f"Benchmark challenge {i}",
                    metric_source=METRIC_SOURCE,
                    metric_key=metric_key(i),
                    tiers=tiers,
                )
                for i in range(1, challenges + 1)
            ),
        ),
    )


def tier_case(value_sql: str) -> str:
    whens = " ".join(
        f"WHEN {value_sql} >= {t} THEN {i}" for i, t in reversed(list(enumerate(TIER_THRESHOLDS, start=1)))
    )
    return f"CASE {whens} ELSE 0 END"


def _progress_sql_postgresql() -> str:
    cluster = f"'cl_' || lpad(to_hex((g * {_ID_MULTIPLIER}::bigint) %% 4294967296), 8, '0')"
    uniform = "((hashint8(s.g * 64 + c.k)::bigint + 2147483648)::float8 / 4294967296.0)"
    return (
        "INSERT INTO challenge_progress (cluster_id, challenge_id, value, current_tier, updated_at)"
        f" SELECT v.cluster_id, v.challenge_id, v.value, {tier_case('v.value')}, %(at)s FROM ("
        f"  SELECT s.cluster_id, c.id AS challenge_id, floor(power({uniform}, 4) * 100000)::bigint AS value"
        f"  FROM (SELECT g::bigint AS g, {cluster} AS cluster_id FROM generate_series(1, %(clusters)s) g) s"
        "   CROSS JOIN (SELECT id, row_number() OVER (ORDER BY code) AS k FROM challenges"
        "               WHERE metric_source = %(source)s) c"
        " ) v"
    )


def _progress_sql_sqlite() -> str:
    cluster = f"'cl_' || printf('%%08x', (g * {_ID_MULTIPLIER}) %% 4294967296)"
    # SQLite runs are small smoke runs: a multiplicative congruence is uniform enough there.
    uniform = "(((s.g * 1103515245 + c.id * 12345) %% 2147483648) / 2147483648.0)"
    return (
        "INSERT INTO challenge_progress (cluster_id, challenge_id, value, current_tier, updated_at)"
        f" SELECT v.cluster_id, v.challenge_id, v.value, {tier_case('v.value')}, %(at)s FROM ("
        "  SELECT w.cluster_id, w.challenge_id, CAST(w.x * w.x * w.x * w.x * 100000 AS INTEGER) AS value FROM ("
        f"   SELECT s.cluster_id, c.id AS challenge_id, {uniform} AS x"
        "   FROM (WITH RECURSIVE series(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM series WHERE g < %(clusters)s)"
        f"         SELECT g, {cluster} AS cluster_id FROM series) s"
        "    CROSS JOIN (SELECT id FROM challenges WHERE metric_source = %(source)s) c"
        "  ) w"
        " ) v WHERE true"
    )


def _without_secondary_structures(cursor, table: str):
    """Drop the table's indexes and non-primary-key constraints; return the statements that restore them.

    Building an index once over ten million rows is several times faster than maintaining five
    of them row by row; the restored definitions are exactly the migrated ones.
    """
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype <> 'p'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = %s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
        [table],
    )
    indexes = cursor.fetchall()
    quoted = connection.ops.quote_name(table)
    for name, _ in constraints:
        cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    restore = [definition for _, definition in indexes]
    restore += [
        f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        for name, definition in constraints
    ]
    return restore


def seed_progress(*, clusters: int, now: datetime.datetime) -> int:
    """Insert `clusters` x (every benchmark challenge) progress rows in one statement; return the count."""
    params = {"clusters": clusters, "at": now - datetime.timedelta(days=1), "source": METRIC_SOURCE}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            restore = _without_secondary_structures(cursor, "challenge_progress")
            cursor.execute(_progress_sql_postgresql(), params)
            inserted = cursor.rowcount
            for statement in restore:
                cursor.execute(statement)
        else:
            cursor.execute(_progress_sql_sqlite(), params)
            inserted = cursor.rowcount
    return inserted


def seed_definitions(*, challenges: int, now: datetime.datetime) -> None:
    """The catalogue, an active season weighting every benchmark challenge, and two leaderboards.

    Written through hedge's own services and model validation: they are a few dozen rows.
    """
    sync_challenge_config(config=_catalogue(challenges))
    season = Season(
        id=SEASON_ID,
        name="Benchmark season",
        starts_at=now - datetime.timedelta(days=30),
        ends_at=now + datetime.timedelta(days=30),
        is_active=True,
        points_per_level=POINTS_PER_LEVEL,
    )
    season.full_clean()
    season.save()
    codes = Challenge.objects.filter(metric_source=METRIC_SOURCE).order_by("code").values_list("code", flat=True)
    SeasonChallengeWeight.objects.bulk_create(
        SeasonChallengeWeight(season=season, challenge_id=code, weight=i) for i, code in enumerate(codes, start=1)
    )
    common = {
        "category_key": CATEGORY_KEY,
        "metric_source": METRIC_SOURCE,
        "metric_key": metric_key(1),
        "time_window": TimeWindow.ALL_TIME,
        "rank_mode": RankMode.DENSE,
    }
    for definition in (
        LeaderboardDef(key=TOP_KEY, name="Benchmark top 1000", max_entries=1000, **common),
        LeaderboardDef(
            key=FULL_KEY,
            name="Benchmark full ranking",
            max_entries=0,
            fallback_metric_key=metric_key(2) if challenges > 1 else None,
            **common,
        ),
    ):
        definition.full_clean()
        definition.save()


def analyze() -> None:
    """Fresh statistics and visibility maps, so every measurement starts from a vacuumed database."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def seed(*, clusters: int, challenges: int, now: datetime.datetime | None = None) -> Seeded:
    """Seed the (scratch) database the default connection points at, then VACUUM ANALYZE it."""
    now = now or timezone.now()
    started = time.perf_counter()
    seed_definitions(challenges=challenges, now=now)
    rows = seed_progress(clusters=clusters, now=now)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    analyze()
    analyze_seconds = time.perf_counter() - started
    return Seeded(clusters, challenges, rows, seconds, analyze_seconds, SEASON_ID, TOP_KEY, FULL_KEY)
