"""The player-centred reads' benchmark (issue #24, Performance), in a scratch database: `manage.py bench_profiles`.

Seeded with plain SQL (generate_series), as a generation would have left it:
- `clusters` clusters, half of them with a display name and an avatar (cluster_profiles);
- 10 active WEEKLY boards, each with a latest run ranking every cluster (a different order per board, a
  previousRank on 9 clusters in 10) and its movers recorded (leaderboards.sql.RECORD_RUN_MOVERS, the
  product's own statement, timed: that is what storing movers costs a generation);
- 52 COMPLETE weekly final runs of the first board, of FINAL_ENTRIES entries each: the clusters 1..FINAL_ENTRIES
  in a different order every week (so every measured cluster, drawn from them, is in all 52).
No active season (the profile's season is null: both sides then ask for the active season and get none;
the season pass's own reads are measured by `manage.py bench`).

Measured through gunicorn, each next to a bare view (bench.profile_views: plain SQL written for the same
result, not hedge's statements) whose answers are compared before timing: `/clusters/{id}`,
`/leaderboards/{key}/clusters/{id}/history?limit=52`, `/leaderboards/{key}/latest/movers?limit=10`.
Targets: hedge >= 0.8x of the bare view's requests/s and p99 <= 1.3x of its p99, in the same run.
`--keep-database` keeps what was seeded; `--database NAME` measures it again without seeding (`seeded`).

Then the movers design: stored at generation (what hedge does) against an index query on the run, on the
first board's run of `clusters` entries: the cost at generation of each (the recording statement; the two
expression indexes' build and their cost on every insert of a run), their size, and the read latency of each.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from hedge.challenges.models import Challenge, ChallengeCategory
from leaderboards import sql as lb_sql
from leaderboards.models import MAX_MOVERS, LeaderboardDef, LeaderboardRun, RunStatus, TimeWindow
from leaderboards.periods import calendar_period

from . import load
from .runner import Options, _http_pair, _vacuum, machine_info
from .scratch import scratch_database

Log = Callable[[str], None]

BOARDS = 10
FINALS = 52
FINAL_ENTRIES = 10_000
HISTORY_KEY = "bench_profile_00"
# Clusters whose profile, history and movers are asked for (all among the finals' clusters).
SAMPLE = 1_000
WEEK = datetime.timedelta(days=7)
MOVERS_LIMIT = 10
# Multipliers coprime with any 2^a * 5^b size: g -> (g * m) mod n is then a permutation of 0..n-1.
PERMUTATIONS = [7919, 104729, 1299709, 15485863, 32452843, 49979687, 67867967, 86028121, 104395301, 122949823]
LATENCY_SAMPLES = 200
# What --only may name.
OPERATIONS = ("http", "movers_design")


def board_key(number: int) -> str:
    return f"bench_profile_{number:02d}"


def cluster_id(number: int) -> str:
    return f"c{number:08d}"


# The entries of a run of every cluster: position g holds cluster ((g * m) mod n) + 1, ranks without ties,
# previousRank a second permutation (none on every tenth). Uses index: none (a one-off seed).
SEED_ENTRIES = """
INSERT INTO leaderboard_entries (run_id, cluster_id, position, rank, score, tiebreaker, fallback_value,
                                 previous_rank)
SELECT %(run)s, 'c' || LPAD(CAST((CAST(g AS BIGINT) * %(m)s) %% %(n)s + 1 AS TEXT), 8, '0'), g, g,
       %(n)s * 10 - g, 0, NULL,
       CASE WHEN g %% 10 = 0 THEN NULL ELSE CAST((CAST(g AS BIGINT) * 31 + 17) %% %(n)s + 1 AS INTEGER) END
FROM generate_series(1, %(n)s) g
"""

# Half of the clusters named. Uses index: none (a one-off seed).
SEED_NAMES = """
INSERT INTO cluster_profiles (cluster_id, display_name, avatar_url, updated_at, api_key_id)
SELECT 'c' || LPAD(CAST(g AS TEXT), 8, '0'), 'Player ' || CAST(g AS TEXT),
       'https://cdn.example.com/avatars/' || CAST(g AS TEXT) || '.png', %(at)s, %(key)s
FROM generate_series(2, %(n)s, 2) g
"""

# The movers as an index query instead (the design hedge did not keep): two expression indexes over every
# run's entries, one per direction, each giving the first `limit` movers of a run in order.
MOVERS_INDEX_UP = """
CREATE INDEX bench_movers_up_idx ON leaderboard_entries (run_id, (previous_rank - rank) DESC, position)
WHERE previous_rank IS NOT NULL
"""
MOVERS_INDEX_DOWN = """
CREATE INDEX bench_movers_down_idx ON leaderboard_entries (run_id, (rank - previous_rank) DESC, position)
WHERE previous_rank IS NOT NULL
"""
# Uses index: bench_movers_up_idx.
MOVERS_BY_INDEX_UP = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_entries e
WHERE e.run_id = %(run)s AND e.previous_rank IS NOT NULL
ORDER BY e.previous_rank - e.rank DESC, e.position
LIMIT %(limit)s
"""
# Uses index: bench_movers_down_idx.
MOVERS_BY_INDEX_DOWN = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_entries e
WHERE e.run_id = %(run)s AND e.previous_rank IS NOT NULL
ORDER BY e.rank - e.previous_rank DESC, e.position
LIMIT %(limit)s
"""
# A run's entries written again under another run (what a generation writes), for the insert cost.
COPY_RUN = """
INSERT INTO leaderboard_entries (run_id, cluster_id, position, rank, score, tiebreaker, fallback_value,
                                 previous_rank)
SELECT %(copy)s, e.cluster_id, e.position, e.rank, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_entries e
WHERE e.run_id = %(run)s
"""


@dataclass(frozen=True)
class ProfileBench:
    clusters: int
    latest_runs: dict[str, int]
    # The seconds RECORD_RUN_MOVERS took on each board's run at seeding (its cost at generation).
    record_movers_s: list[float]
    sample: list[str]


def _run(key: str, *, start: datetime.datetime, end: datetime.datetime, rows: int, is_final: bool) -> LeaderboardRun:
    now = timezone.now()
    return LeaderboardRun.objects.create(
        leaderboard_id=key,
        challenge=Challenge.objects.get(code="bench_profiles_wins"),
        period_start=start,
        period_end=end,
        status=RunStatus.COMPLETE,
        row_count=rows,
        ranked_total=rows,
        finished_at=now,
        is_final=is_final,
        checksum="0" * 64,
    )


def seed(clusters: int, log: Log) -> ProfileBench:
    """The boards, their runs and movers, the finals of the first board, the names (see the module's docstring)."""
    week = calendar_period(TimeWindow.WEEKLY, now=timezone.now())
    category = ChallengeCategory.objects.create(key="bench_profiles", name="Benchmark profiles")
    challenge = Challenge.objects.create(
        code="bench_profiles_wins", category=category, name="Wins", metric_source="bench", metric_key="wins"
    )
    common = {
        "category_key": category.key,
        "metric_source": challenge.metric_source,
        "metric_key": challenge.metric_key,
        "time_window": TimeWindow.WEEKLY,
        "max_entries": 0,
    }
    latest, recorded = {}, []
    for number in range(BOARDS):
        key = board_key(number)
        LeaderboardDef.objects.create(key=key, name=f"Board {number}", **common)
        run = _run(key, start=week.start, end=week.end, rows=clusters, is_final=False)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SEED_ENTRIES, {"run": run.pk, "m": PERMUTATIONS[number], "n": clusters})
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(lb_sql.RECORD_RUN_MOVERS, {"run": run.pk, "movers": MAX_MOVERS})
        recorded.append(time.perf_counter() - started)
        latest[key] = run.pk
        log(f"  {key}: {clusters:,} entries in {seeded:.1f} s, movers recorded in {recorded[-1]:.3f} s")
    for week_number in range(1, FINALS + 1):
        start = week.start - week_number * WEEK
        run = _run(HISTORY_KEY, start=start, end=start + WEEK, rows=FINAL_ENTRIES, is_final=True)
        with transaction.atomic(), connection.cursor() as cursor:
            # Clusters 1..FINAL_ENTRIES, in another order every week (a multiplier coprime with 2 and 5).
            multiplier = [3, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47][week_number % 13] + 100 * week_number
            cursor.execute(SEED_ENTRIES, {"run": run.pk, "m": multiplier, "n": FINAL_ENTRIES})
    log(f"  {FINALS} final runs of {FINAL_ENTRIES:,} entries")
    api_key, _ = APIKey.objects.create_key(name="bench-profiles")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SEED_NAMES, {"n": clusters, "at": timezone.now(), "key": api_key.pk})
    _vacuum("leaderboard_runs", "leaderboard_entries", "leaderboard_run_movers", "cluster_profiles")
    return ProfileBench(clusters=clusters, latest_runs=latest, record_movers_s=recorded, sample=_sample(clusters))


def _sample(clusters: int) -> list[str]:
    rng = random.Random(24)  # noqa: S311 - a reproducible sample, not a secret
    numbers = rng.sample(range(1, min(clusters, FINAL_ENTRIES) + 1), min(SAMPLE, clusters, FINAL_ENTRIES))
    return [cluster_id(n) for n in numbers]


def seeded(log: Log) -> ProfileBench:
    """What `seed` left in a kept scratch database (--database). What recording the movers costs at generation
    is timed again, on each board's run, in a transaction rolled back (its movers deleted first)."""
    latest, recorded = {}, []
    for number in range(BOARDS):
        key = board_key(number)
        run = LeaderboardRun.objects.filter(leaderboard_id=key, status=RunStatus.COMPLETE, is_final=False).first()
        if run is None:
            raise RuntimeError(f"the database was not seeded by bench_profiles (no run of {key})")
        latest[key] = run.pk
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM leaderboard_run_movers WHERE run_id = %(run)s", {"run": run.pk})
            started = time.perf_counter()
            cursor.execute(lb_sql.RECORD_RUN_MOVERS, {"run": run.pk, "movers": MAX_MOVERS})
            recorded.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    clusters = LeaderboardRun.objects.get(pk=latest[board_key(0)]).row_count
    median = statistics.median(recorded)
    log(f"  {BOARDS} boards of {clusters:,} entries seeded earlier; movers recorded again in {median:.3f} s")
    return ProfileBench(clusters=clusters, latest_runs=latest, record_movers_s=recorded, sample=_sample(clusters))


# --- HTTP ------------------------------------------------------------------------------------------------


def _paths(bench: ProfileBench) -> list[tuple[str, str, Callable[[str], Callable[[int, int], str]]]]:
    def pick(client: int, i: int) -> str:
        return bench.sample[(client * 7919 + i) % len(bench.sample)]

    def profile(prefix: str):
        return lambda client, i: f"{prefix}/clusters/{pick(client, i)}"

    def history(prefix: str):
        return lambda client, i: f"{prefix}/leaderboards/{HISTORY_KEY}/clusters/{pick(client, i)}/history?limit=52"

    def movers(prefix: str):
        keys = list(bench.latest_runs)

        def path_for(client: int, i: int) -> str:
            direction = "up" if (client + i) % 2 == 0 else "down"
            key = keys[(client * 3 + i) % len(keys)]
            return f"{prefix}/leaderboards/{key}/latest/movers?direction={direction}&limit={MOVERS_LIMIT}"

        return path_for

    return [
        ("http_cluster_profile", f"GET /clusters/{{id}} ({BOARDS} boards of {bench.clusters:,})", profile),
        (
            "http_cluster_history",
            f"GET /leaderboards/{{key}}/clusters/{{id}}/history?limit=52 ({FINALS} finals of {FINAL_ENTRIES:,})",
            history,
        ),
        (
            "http_latest_movers",
            f"GET /leaderboards/{{key}}/latest/movers?limit={MOVERS_LIMIT} (runs of {bench.clusters:,})",
            movers,
        ),
    ]


def _check_floor_agrees(server, paths: Callable[[str], Callable[[int, int], str]], requests: int = 20) -> None:
    """A bare view that answers something else is no floor: compare the answers before timing them."""
    hedge_path, floor_path = paths(""), paths("/bench-floor")
    for i in range(requests):
        (status, body), (bare_status, bare_body) = (
            load.get(server.port, hedge_path(0, i)),
            load.get(server.port, floor_path(0, i)),
        )
        hedge, bare = json.loads(body), json.loads(bare_body) if bare_status == 200 else None
        if "leaderboard" in hedge:  # movers: the entries and the run (the header is the run reads' own)
            hedge = {"runId": hedge["leaderboard"]["runId"], "entries": hedge["entries"]}
            bare = bare and {"runId": bare["leaderboard"]["runId"], "entries": bare["entries"]}
        if status != 200 or hedge != bare:
            raise RuntimeError(
                f"the bare view of {hedge_path(0, i)} answers something else: {bare_body[:400]!r} vs {body[:400]!r}"
            )


def measure_http(scratch, bench: ProfileBench, options: Options, log: Log) -> list[dict]:
    results = []
    with load.gunicorn(database_url=scratch.url, workers=2) as server:
        for key, label, paths in _paths(bench):
            _check_floor_agrees(server, paths)
            op = _http_pair(key, label, server, paths(""), paths("/bench-floor"), options, log)
            floor_p99 = op["floor"]["p99_ms"]
            op["p99_ratio"] = round(op["hedge"]["p99_ms"] / floor_p99, 3) if floor_p99 else None
            op["target"] = "hedge >= 0.8x of the bare view's requests/s, p99 <= 1.3x of the bare view's p99"
            log(f"  {label}: ratio {op['ratio']} (req/s), p99 ratio {op['p99_ratio']}")
            results.append(op)
    return results


# --- the movers design -----------------------------------------------------------------------------------


def _latency_ms(statement: str, params: dict, samples: int = LATENCY_SAMPLES) -> dict:
    times = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            started = time.perf_counter()
            cursor.execute(statement, params)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 3), "p99_ms": round(times[int(len(times) * 0.99) - 1], 3)}


def _rows(statement: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def _plan(statement: str, params: dict) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _index_size(name: str) -> int:
    return _rows("SELECT pg_relation_size(%(name)s::regclass)", {"name": name})[0][0]


def _copy_run_seconds(run_id: int) -> float:
    """Writing the run's entries again under a new run id (what a generation writes), rolled back."""
    source = LeaderboardRun.objects.get(pk=run_id)
    with transaction.atomic():
        copy = _run(source.leaderboard_id, start=source.period_start, end=source.period_end, rows=0, is_final=False)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(COPY_RUN, {"copy": copy.pk, "run": run_id})
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def measure_movers_design(bench: ProfileBench, options: Options, log: Log) -> dict:
    """Stored at generation against an index query, on the first board's run of `clusters` entries."""
    run_id = bench.latest_runs[board_key(0)]
    params = {"run": run_id, "limit": MOVERS_LIMIT}
    stored = {d.lower(): _latency_ms(lb_sql.MOVERS, {**params, "direction": d}) for d in ("UP", "DOWN")}
    insert_without = statistics.median(_copy_run_seconds(run_id) for _ in range(options.repeat))
    log(f"  stored movers: read {stored}, recorded in {statistics.median(bench.record_movers_s):.3f} s per run")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(MOVERS_INDEX_UP)
        cursor.execute(MOVERS_INDEX_DOWN)
        cursor.execute("ANALYZE leaderboard_entries")
    build_s = time.perf_counter() - started
    try:
        by_index = {
            "up": _latency_ms(MOVERS_BY_INDEX_UP, params),
            "down": _latency_ms(MOVERS_BY_INDEX_DOWN, params),
        }
        for direction, statement in (("UP", MOVERS_BY_INDEX_UP), ("DOWN", MOVERS_BY_INDEX_DOWN)):
            expected = _rows(lb_sql.MOVERS, {**params, "direction": direction})
            if _rows(statement, params) != expected:
                raise RuntimeError(f"the index query's {direction} movers differ from the stored ones")
        sizes = {name: _index_size(name) for name in ("bench_movers_up_idx", "bench_movers_down_idx")}
        insert_with = statistics.median(_copy_run_seconds(run_id) for _ in range(options.repeat))
        plan = _plan(MOVERS_BY_INDEX_UP, params)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS bench_movers_up_idx")
            cursor.execute("DROP INDEX IF EXISTS bench_movers_down_idx")
    movers_rows = _rows("SELECT COUNT(*) FROM leaderboard_run_movers WHERE run_id = %(run)s", params)[0][0]
    report = {
        "key": "movers_design",
        "operation": f"movers of a run of {bench.clusters:,} entries: stored at generation vs an index query",
        "kind": "design",
        "stored": {
            "record_at_generation_s": round(statistics.median(bench.record_movers_s), 4),
            "rows_per_run": movers_rows,
            "read": stored,
            "plan": _plan(lb_sql.MOVERS, {**params, "direction": "UP"}),
        },
        "index": {
            "build_s_all_runs": round(build_s, 2),
            "entries_indexed": _rows("SELECT COUNT(*) FROM leaderboard_entries", {})[0][0],
            "size_bytes": sizes,
            "read": by_index,
            "plan": plan,
            "insert_run_s_with_indexes": round(insert_with, 3),
            "insert_run_s_without": round(insert_without, 3),
        },
    }
    log(
        f"  index query: read {by_index}, two indexes {sum(sizes.values()) / 2**20:.1f} MiB built in {build_s:.1f} s;"
        f" writing a run's entries {insert_without:.2f} s without them, {insert_with:.2f} s with them"
    )
    return report


def run_profiles_benchmark(options: Options, *, log: Log = lambda _: None) -> dict:
    """Seed, measure the three reads over HTTP and the movers design, in a scratch database; the report."""
    report: dict = {
        "options": {
            "clusters": options.clusters,
            "repeat": options.repeat,
            "http_seconds": options.http_seconds,
            "http_clients": options.http_clients,
            "database": options.database,
        },
        "operations": [],
    }
    with scratch_database(keep=options.keep_database, existing=options.database, log=log) as scratch:
        report["machine"] = machine_info()
        report["scratch_database"] = scratch.name
        if options.database:
            bench = seeded(log)
            report["options"]["clusters"] = bench.clusters
        else:
            started = time.perf_counter()
            bench = seed(options.clusters, log)
            report["seed_seconds"] = round(time.perf_counter() - started, 1)
            log(f"seeded in {report['seed_seconds']} s")
        wanted = set(options.only) or {"http", "movers_design"}
        if "http" in wanted and options.http_seconds > 0:
            report["operations"] += measure_http(scratch, bench, options, log)
        if "movers_design" in wanted:
            report["operations"].append(measure_movers_design(bench, options, log))
    report["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    return report
