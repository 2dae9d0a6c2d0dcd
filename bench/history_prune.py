"""Prune of one month of challenge_progress_history: dropping its partition beside the batched delete.

Run against a scratch PostgreSQL database (it empties the challenge tables):

    DATABASE_URL=postgres://.../scratch DEBUG=true python manage.py shell -c \\
        "from bench.history_prune import main; main(clusters=200_000, challenges=2)"

The same history is seeded twice (deterministic, hash-based): once into the table partitioned by
month, timed with `prune_progress_history` dropping September; once into a plain table (the
migration 0004 undone on the copy), timed with today's batched delete of the same month. Both must
leave the same rows.

`main(..., steady=True)`: the steady state. History starts a month earlier (August 1); August is
pruned first, untimed, on both sides (its needed rows go into the baseline partition), then the
prune of September is timed at cutoff October 2: the baseline rebuilt from itself and September,
beside the batched delete of the plain table; the rows before October must be the same.
`plain=False` times the partitioned side only. With DEBUG=true the slowest statements are printed.
"""

import datetime
import time

from django.core.management import call_command
from django.db import connection, reset_queries

from hedge.challenges.models import Challenge, ChallengeCategory, ChallengeProgressHistory
from hedge.challenges.services.history import create_history_partitions, history_is_partitioned, prune_progress_history

UTC = datetime.UTC
FIRST = datetime.datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 61  # September and October (`days=31`: September and October 1, enough for the prune of September)
NOW = datetime.datetime(2026, 11, 5, tzinfo=UTC)
KEEP_DAYS = 35  # cutoff October 1: September goes
STEADY_FIRST = datetime.datetime(2026, 8, 1, tzinfo=UTC)
OCTOBER = datetime.datetime(2026, 10, 1, tzinfo=UTC)
STEADY_KEEP_DAYS = 65  # cutoff September 1: August goes, untimed
STEADY_TIMED_KEEP_DAYS = 34  # cutoff October 2, the first nightly prune after September ended: September goes
CHANGED_PER_DAY = 0.077  # 770,000 of 10,000,000 pairs a day (docs/scaling.md)

# Every pair's first row on September 1, then 7.7 % of the pairs change each day at a hashed moment.
SEED = """
INSERT INTO challenge_progress_history (cluster_id, challenge_id, value, recorded_at)
SELECT 'c' || g, c.id, d * 10 + 1, %(first)s + make_interval(days => d)
       + make_interval(secs => abs(hashint8(g * 1000 + d)::bigint) %% 86400)
FROM generate_series(1, %(clusters)s) g CROSS JOIN challenges c CROSS JOIN generate_series(0, %(days)s - 1) d
WHERE d = 0 OR abs(hashint8(g::bigint * 7919 + c.id * 104729 + d)::bigint) %% 1000 < %(per_mille)s
"""


def _seed(clusters: int, challenges: int, days: int, first: datetime.datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE challenge_progress_history")
        cursor.execute(
            SEED, {"first": first, "clusters": clusters, "days": days, "per_mille": round(CHANGED_PER_DAY * 1000)}
        )
        rows = cursor.rowcount
        cursor.execute("VACUUM ANALYZE challenge_progress_history")
    return rows


def _say(what: str) -> None:
    print(time.strftime("%H:%M:%S"), what, flush=True)


def _fingerprint(*, before: datetime.datetime) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COALESCE(SUM(hashtext(cluster_id || challenge_id || recorded_at::text) # value), 0)"
            " FROM challenge_progress_history WHERE recorded_at < %s",
            [before],
        )
        return cursor.fetchone()


def _timed_prune(*, steady: bool) -> tuple[float, object]:
    if steady:
        _say("untimed prune of August")
        prune_progress_history(keep_days=STEADY_KEEP_DAYS, now=NOW)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE challenge_progress_history")  # as autovacuum would by the next night
        _say("timed prune of September")
    reset_queries()
    started = time.perf_counter()
    result = prune_progress_history(keep_days=STEADY_TIMED_KEEP_DAYS if steady else KEEP_DAYS, now=NOW)
    seconds = time.perf_counter() - started
    for query in sorted(connection.queries, key=lambda query: -float(query["time"]))[:8]:  # with DEBUG=true
        _say(f"  {query['time']} s  {' '.join(query['sql'].split())[:110]}")
    return seconds, result


def _rows_before(moment: datetime.datetime) -> int:
    """The rows kept from before `moment`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM challenge_progress_history WHERE recorded_at < %s", [moment])
        return cursor.fetchone()[0]


def main(
    *, clusters: int = 200_000, challenges: int = 2, days: int = DAYS, steady: bool = False, plain: bool = True
) -> dict:
    """The figures of both prunes (`plain=False`: the partitioned side only, with its fingerprint to compare)."""
    ChallengeProgressHistory.objects.all().delete()
    category, _ = ChallengeCategory.objects.get_or_create(key="bench", defaults={"name": "Bench"})
    Challenge.objects.exclude(pk__in=Challenge.objects.filter(code__startswith="bench_")).delete()
    for n in range(challenges - Challenge.objects.count()):
        Challenge.objects.create(
            code=f"bench_{n}", name=f"bench {n}", category=category, metric_source="b", metric_key="b"
        )

    first, days = (STEADY_FIRST, days + 31) if steady else (FIRST, days)
    # Steady, the cutoff is October 2: the batched delete prunes October 1 already, the partitioned table keeps
    # October whole until it is wholly before the cutoff. The rows before October must be the same.
    compared = OCTOBER if steady else NOW
    figures, kept = {}, None
    if plain:
        call_command("migrate", "challenges", "0003", verbosity=0)  # a plain table: today's batched delete
        assert not history_is_partitioned()
        _say("seeding the plain table")
        _seed(clusters, challenges, days, first)
        _say("batched delete")
        seconds, result = _timed_prune(steady=steady)
        figures["batched_delete"] = {"seconds": round(seconds, 2), "deleted": result.deleted}
        _say(f"batched delete: {figures['batched_delete']}")
        kept = _fingerprint(before=compared)

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE challenge_progress_history")  # reseeded below: nothing for 0004 to convert
    call_command("migrate", "challenges", "0003", verbosity=0)  # drops the partitions an earlier run left
    call_command("migrate", "challenges", verbosity=0)
    assert history_is_partitioned()
    create_history_partitions(now=first, months_ahead=3)
    _say("seeding the partitioned table")
    rows = _seed(clusters, challenges, days, first)
    _say(f"{rows} rows; partition drop")
    seconds, result = _timed_prune(steady=steady)
    figures["partition_drop"] = {
        "seconds": round(seconds, 2),
        "deleted": result.deleted,
        "dropped": result.dropped_partitions,
    }
    figures.update(
        rows=rows,
        pairs=clusters * challenges,
        kept_before_october=_rows_before(OCTOBER),
        fingerprint=_fingerprint(before=compared),
        same_rows_kept=_fingerprint(before=compared) == kept if plain else None,
    )
    print(figures)
    return figures
