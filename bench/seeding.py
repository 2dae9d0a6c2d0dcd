"""Synthetic data for a benchmark run, written set-based: one INSERT ... SELECT for all the progress
and one for all the history (PostgreSQL).

Every cluster has a row in every benchmark challenge. Values follow `floor(u^4 x 100,000)` for a
uniform `u`: many small values (about 6% are 0), a long tail of large ones, and ties at every
level (a few clusters share each value even at the top), as real challenge progress has. On
PostgreSQL `u` comes from `hashint8`, so the same sizes always give the same data.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from hedge.challenges.config import CategorySpec, ChallengeSpec, TierSpec
from hedge.challenges.models import Challenge
from hedge.challenges.services.catalogue import recompute_tiers, sync_challenge_config
from hedge.challenges.services.history import DEFAULT_MONTHS_AHEAD, create_history_partitions
from leaderboards.models import LeaderboardDef, RankMode, TimeWindow
from leaderboards.periods import calendar_period
from seasons.models import Scoring, Season, SeasonChallengeWeight

CATEGORY_KEY = "bench"
METRIC_SOURCE = "bench"
SEASON_ID = "BENCH"
GAINS_SEASON_ID = "BENCH_GAINS"
POINTS_PER_LEVEL = 1000
TOP_KEY = "bench_top_1000"
# The floor's twin of TOP_KEY (inactive): the board whose runs the floor records in plain SQL.
FLOOR_TOP_KEY = "bench_floor_top_1000"
# The boards of the `generate_leaderboard --all` measurement (created by it, active only meanwhile).
ALL_BOARDS_PREFIX = "bench_all_"
FULL_KEY = "bench_full"
DAILY_TOP_KEY = "bench_daily_top_1000"
DAILY_FULL_KEY = "bench_daily_full"
MONTHLY_FULL_KEY = "bench_monthly_full"
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
    # 0 without history (SQLite).
    history_days: int
    history_rows: int
    history_seconds: float
    # History's end: its last full day is the day before.
    midnight: datetime.datetime
    season_id: str = SEASON_ID
    gains_season_id: str = GAINS_SEASON_ID
    top_key: str = TOP_KEY
    full_key: str = FULL_KEY


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


# Every (cluster, challenge) pair, with what its history is made of (see seed_history). Per pair:
# `base` = floor(u^4 x 100,000) for a uniform u from hashint8; `shift` (0..12, hash-based) puts its
# changes on the days k in [-D, -1] with k = -1 - shift - 13j, so every day 1/13 (7.7%) of the
# pairs of each challenge change; `changes` = how many such days there are. Its history holds
# levels 0..changes (0: the row before history's first day, at day -D-1); level i has the value
# floor(base x (i+1) / (changes+1)) + i, strictly increasing, and its current value is the top level.
_PAIRS_POSTGRESQL = f"""
SELECT q.g, q.cluster_id, q.challenge_id, q.k, q.base, q.shift,
       CASE WHEN q.shift < %(days)s THEN (%(days)s - 1 - q.shift) / 13 + 1 ELSE 0 END AS changes
FROM (
    SELECT s.g, s.cluster_id, c.id AS challenge_id, c.k,
           floor(power((hashint8(s.g * 64 + c.k)::bigint + 2147483648)::float8 / 4294967296.0, 4) * 100000)::bigint
               AS base,
           ((hashint8(s.g * 64 + c.k + 4096)::bigint + 2147483648) %% 13)::int AS shift
    FROM (SELECT g::bigint AS g,
                 'cl_' || lpad(to_hex((g * {_ID_MULTIPLIER}::bigint) %% 4294967296), 8, '0') AS cluster_id
          FROM generate_series(1, %(clusters)s) g) s
    CROSS JOIN (SELECT id, row_number() OVER (ORDER BY code) AS k FROM challenges WHERE metric_source = %(source)s) c
) q
"""

# When level `i` of a pair was recorded: level 0 on day -D-1, level i >= 1 on its change day; the
# moment inside the day is hash-based (microseconds), so rows of one day are spread over the day.
_LEVEL_AT = (
    "%(midnight)s + make_interval(days => CASE WHEN {i} = 0 THEN -%(days)s - 1"
    " ELSE -1 - p.shift - 13 * (p.changes - {i}) END)"
    " + make_interval(secs => ((hashint8(p.g * 64 + p.k + 8192 * ({i} + 1))::bigint + 2147483648) %% 86400000000)"
    " / 1000000.0)"
)


def _level_value(i: str) -> str:
    return f"(p.base * ({i} + 1) / (p.changes + 1) + {i})"


def _progress_sql_postgresql() -> str:
    # current_tier is left at 0 here: hedge's own recompute_tiers derives it afterwards.
    return (
        "INSERT INTO challenge_progress (cluster_id, challenge_id, value, current_tier, updated_at)"
        f" SELECT p.cluster_id, p.challenge_id, {_level_value('p.changes')}, 0, {_LEVEL_AT.format(i='p.changes')}"
        f" FROM ({_PAIRS_POSTGRESQL}) p"
    )


def _history_sql_postgresql() -> str:
    return (
        "INSERT INTO challenge_progress_history (cluster_id, challenge_id, value, recorded_at)"
        f" SELECT p.cluster_id, p.challenge_id, {_level_value('l.i')}, {_LEVEL_AT.format(i='l.i')}"
        f" FROM ({_PAIRS_POSTGRESQL}) p CROSS JOIN LATERAL generate_series(0, p.changes) AS l(i)"
    )


# Older history put before the existing rows (the "DAILY does not grow with history" check): per
# pair, `%(extra)s` more days before day -D-1 on the same 13-day schedule, with values counting
# down from level 0's value (never below 0), and a new first row on day -D-1-extra.
def _older_history_sql_postgresql() -> str:
    first = f"({_level_value('0')})"
    return (
        "INSERT INTO challenge_progress_history (cluster_id, challenge_id, value, recorded_at)"
        f" SELECT p.cluster_id, p.challenge_id, greatest({first} - o.n, 0),"
        " %(midnight)s + make_interval(days => o.day)"
        " + make_interval(secs => ((hashint8(p.g * 64 + p.k - 8192 * o.n)::bigint + 2147483648) %% 86400000000)"
        " / 1000000.0)"
        f" FROM ({_PAIRS_POSTGRESQL}) p CROSS JOIN LATERAL ("
        "   SELECT row_number() OVER (ORDER BY d DESC) AS n, d AS day FROM ("
        "     SELECT d FROM generate_series(-%(days)s - 2, -%(days)s - %(extra)s, -1) d"
        "     WHERE (-1 - d - p.shift) %% 13 = 0"
        "     UNION ALL SELECT -%(days)s - 1 - %(extra)s) x"
        " ) o"
    )


def _progress_sql_sqlite() -> str:
    cluster = f"'cl_' || printf('%%08x', (g * {_ID_MULTIPLIER}) %% 4294967296)"
    # SQLite runs are small smoke runs without history: a multiplicative congruence is uniform enough there.
    uniform = "(((s.g * 1103515245 + c.id * 12345) %% 2147483648) / 2147483648.0)"
    return (
        "INSERT INTO challenge_progress (cluster_id, challenge_id, value, current_tier, updated_at)"
        " SELECT v.cluster_id, v.challenge_id, v.value, 0, %(at)s FROM ("
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
    # A partitioned table's index reads "ON ONLY": restored as written it would cover no partition.
    restore = [definition.replace(" ON ONLY ", " ON ", 1) for _, definition in indexes]
    restore += [
        f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        for name, definition in constraints
    ]
    return restore


def _challenge_ids() -> list[int]:
    return list(Challenge.objects.filter(metric_source=METRIC_SOURCE).order_by("code").values_list("id", flat=True))


def seed_progress(*, clusters: int, days: int, midnight: datetime.datetime) -> int:
    """Insert `clusters` x (every benchmark challenge) progress rows in one statement; return the count.

    Each row's value and updated_at are its pair's newest history row (seed_history writes the
    same pairs). The tiers are hedge's own: recompute_tiers runs while the indexes are away.
    """
    params = {
        "clusters": clusters,
        "days": days,
        "midnight": midnight,
        "at": midnight - datetime.timedelta(days=1),
        "source": METRIC_SOURCE,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            restore = _without_secondary_structures(cursor, "challenge_progress")
            cursor.execute(_progress_sql_postgresql(), params)
        else:
            restore = []
            cursor.execute(_progress_sql_sqlite(), params)
        inserted = cursor.rowcount
        recompute_tiers(challenge_ids=_challenge_ids())
        for statement in restore:
            cursor.execute(statement)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # recompute_tiers rewrote most rows: give the table back its freshly-loaded shape.
            cursor.execute("VACUUM FULL challenge_progress")
    return inserted


def seed_history(*, clusters: int, days: int, midnight: datetime.datetime) -> int:
    """Write the history of every pair (PostgreSQL only); return the rows written. See _PAIRS_POSTGRESQL."""
    params = {"clusters": clusters, "days": days, "midnight": midnight, "source": METRIC_SOURCE}
    _history_partitions(midnight=midnight, days_back=days + 1)
    return _insert_history(_history_sql_postgresql(), params)


def seed_older_history(*, clusters: int, days: int, extra_days: int, midnight: datetime.datetime) -> int:
    """Put `extra_days` more days of history before the seeded history's first row; return the rows written."""
    params = {"clusters": clusters, "days": days, "extra": extra_days, "midnight": midnight, "source": METRIC_SOURCE}
    _history_partitions(midnight=midnight, days_back=days + extra_days + 1)
    return _insert_history(_older_history_sql_postgresql(), params)


def has_older_history(*, days: int, midnight: datetime.datetime) -> bool:
    """Whether seed_older_history already ran here (history begins before the seeded first day)."""
    first_day = midnight - datetime.timedelta(days=days + 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(recorded_at) FROM challenge_progress_history")
        first = cursor.fetchone()[0]
    return first is not None and first < first_day


def _history_partitions(*, midnight: datetime.datetime, days_back: int) -> None:
    """The month partitions (PostgreSQL) of the history about to be seeded, so it is not all in the DEFAULT one."""
    first = midnight - datetime.timedelta(days=days_back)
    months = (midnight.year - first.year) * 12 + midnight.month - first.month
    create_history_partitions(now=first, months_ahead=months + DEFAULT_MONTHS_AHEAD)


def _insert_history(statement: str, params: dict) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        restore = _without_secondary_structures(cursor, "challenge_progress_history")
        cursor.execute(statement, params)
        inserted = cursor.rowcount
        for restore_statement in restore:
            cursor.execute(restore_statement)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE challenge_progress_history")
    return inserted


def _weights(season: Season) -> None:
    codes = Challenge.objects.filter(metric_source=METRIC_SOURCE).order_by("code").values_list("code", flat=True)
    SeasonChallengeWeight.objects.bulk_create(
        SeasonChallengeWeight(season=season, challenge_id=code, weight=i) for i, code in enumerate(codes, start=1)
    )


def seed_definitions(*, challenges: int, days: int, midnight: datetime.datetime) -> None:
    """The catalogue, two seasons weighting every benchmark challenge, and the leaderboards.

    - BENCH: active, LIFETIME scoring (v1: value x weight), as the season measurements have always used;
    - BENCH_GAINS: GAINS scoring, from the first day of history to 30 days after the seed, not active
      (one season is active at a time; recomputing it does not need it to be).
    Written through hedge's own services and model validation: they are a few dozen rows.
    """
    sync_challenge_config(config=_catalogue(challenges))
    seasons = (
        Season(
            id=SEASON_ID,
            name="Benchmark season (lifetime)",
            starts_at=midnight - datetime.timedelta(days=30),
            ends_at=midnight + datetime.timedelta(days=30),
            is_active=True,
            points_per_level=POINTS_PER_LEVEL,
            scoring=Scoring.LIFETIME,
        ),
        Season(
            id=GAINS_SEASON_ID,
            name="Benchmark season (gains)",
            starts_at=midnight - datetime.timedelta(days=days),
            ends_at=midnight + datetime.timedelta(days=30),
            is_active=False,
            points_per_level=POINTS_PER_LEVEL,
            scoring=Scoring.GAINS,
        ),
    )
    for season in seasons:
        season.full_clean()
        season.save()
        _weights(season)
    common = {
        "category_key": CATEGORY_KEY,
        "metric_source": METRIC_SOURCE,
        "metric_key": metric_key(1),
        "rank_mode": RankMode.DENSE,
    }
    fallback = metric_key(2)
    for definition in (
        LeaderboardDef(
            key=TOP_KEY, name="Benchmark top 1000", max_entries=1000, time_window=TimeWindow.ALL_TIME, **common
        ),
        LeaderboardDef(
            key=FLOOR_TOP_KEY,
            name="Benchmark top 1000 (the floor's twin)",
            max_entries=1000,
            time_window=TimeWindow.ALL_TIME,
            is_active=False,
            **common,
        ),
        LeaderboardDef(
            key=FULL_KEY,
            name="Benchmark full ranking",
            max_entries=0,
            fallback_metric_key=fallback,
            time_window=TimeWindow.ALL_TIME,
            **common,
        ),
        LeaderboardDef(
            key=DAILY_TOP_KEY, name="Benchmark daily top 1000", max_entries=1000, time_window=TimeWindow.DAILY, **common
        ),
        LeaderboardDef(
            key=DAILY_FULL_KEY,
            name="Benchmark daily, every rank",
            max_entries=0,
            fallback_metric_key=fallback,
            time_window=TimeWindow.DAILY,
            **common,
        ),
        LeaderboardDef(
            key=MONTHLY_FULL_KEY,
            name="Benchmark monthly, every rank",
            max_entries=0,
            fallback_metric_key=fallback,
            time_window=TimeWindow.MONTHLY,
            **common,
        ),
    ):
        definition.full_clean()
        definition.save()


def analyze() -> None:
    """Fresh statistics and visibility maps, so every measurement starts from a vacuumed database."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def history_midnight(now: datetime.datetime) -> datetime.datetime:
    """The start of today's leaderboard day (LEADERBOARD_TIMEZONE): history's last day ends here."""
    return calendar_period(TimeWindow.DAILY, now=now).start


# What `seed` made, kept in the scratch database itself so a kept database can be measured again
# (`bench --database NAME`) without seeding it anew.
SEEDED_TABLE = "bench_seeded"


def save_seeded(seeded: Seeded) -> None:
    record = dataclasses.asdict(seeded) | {"midnight": seeded.midnight.isoformat()}
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {SEEDED_TABLE} (record text NOT NULL)")
        cursor.execute(f"INSERT INTO {SEEDED_TABLE} (record) VALUES (%s)", [json.dumps(record)])


def load_seeded() -> Seeded | None:
    """The Seeded of the database the connection points at; None if `seed` never ran there."""
    with connection.cursor() as cursor:
        if SEEDED_TABLE not in connection.introspection.table_names(cursor):
            return None
        cursor.execute(f"SELECT record FROM {SEEDED_TABLE}")
        record = json.loads(cursor.fetchone()[0])
    return Seeded(**record | {"midnight": datetime.datetime.fromisoformat(record["midnight"])})


def seed(*, clusters: int, challenges: int, history_days: int, now: datetime.datetime | None = None) -> Seeded:
    """Seed the (scratch) database the default connection points at, then VACUUM ANALYZE it.

    History (PostgreSQL only) ends at today's midnight: its last full day is yesterday.
    """
    midnight = history_midnight(now or timezone.now())
    started = time.perf_counter()
    seed_definitions(challenges=challenges, days=history_days, midnight=midnight)
    rows = seed_progress(clusters=clusters, days=history_days, midnight=midnight)
    seconds = time.perf_counter() - started
    history_rows, history_seconds = 0, 0.0
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        history_rows = seed_history(clusters=clusters, days=history_days, midnight=midnight)
        history_seconds = time.perf_counter() - started
    started = time.perf_counter()
    analyze()
    analyze_seconds = time.perf_counter() - started
    seeded = Seeded(
        clusters=clusters,
        challenges=challenges,
        progress_rows=rows,
        seconds=seconds,
        analyze_seconds=analyze_seconds,
        history_days=history_days if history_rows else 0,
        history_rows=history_rows,
        history_seconds=history_seconds,
        midnight=midnight,
    )
    save_seeded(seeded)
    return seeded
