"""One benchmark run: scratch database, seed, hedge next to the floor for every operation, report.

Every operation is measured `repeat` times for hedge and for the floor, on identical data in
the same run. Before each repetition the targets of both are reset to the same state; hedge
goes first in odd repetitions and the floor in even ones (so neither always enjoys the warmer
cache), and a CHECKPOINT before each timed call keeps one side's dirty pages from being written
during the other's measurement. The report holds every individual time, not only the medians.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import django
from django.conf import settings
from django.db import connection
from django.utils import timezone

from leaderboards.models import LeaderboardDef, LeaderboardRun, RunStatus
from leaderboards.resolve import resolve_challenges
from leaderboards.services import generate_leaderboard_run
from seasons.models import Season
from seasons.services import recompute_season_points

from . import floor, load, seeding
from .scratch import scratch_database

Log = Callable[[str], None]

# SQLite has neither generate_series nor parallel query: beyond this it stops being a benchmark.
SQLITE_MAX_CLUSTERS = 50_000
# Distinct clusters the season-progress requests cycle through.
HTTP_SAMPLE_CLUSTERS = 10_000
HTTP_WARMUP_REQUESTS = 50


@dataclass(frozen=True)
class Options:
    clusters: int = 1_000_000
    challenges: int = 10
    repeat: int = 3
    http_seconds: float = 10.0
    http_clients: int = 8
    keep_database: bool = False


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.started:7.1f}s"


def _truncate(*tables: str) -> None:
    """Empty the tables (on SQLite in the order given: children first)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def _checkpoint() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")


def _vacuum(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}" if connection.vendor == "postgresql" else f"ANALYZE {table}")


def _count_differences(left_sql: str, right_sql: str, left_params: list, right_params: list) -> int:
    """Rows in one result and not in the other, both ways (EXCEPT works on PostgreSQL and SQLite alike)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM ({left_sql} EXCEPT {right_sql}) a)"
            f" + (SELECT COUNT(*) FROM ({right_sql} EXCEPT {left_sql}) b)",
            [*left_params, *right_params, *right_params, *left_params],
        )
        return cursor.fetchone()[0]


def _timed(fn: Callable[[], object]) -> float:
    _checkpoint()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _seconds(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 4), "runs": [round(v, 4) for v in values]}


def measure_pair(
    key: str,
    label: str,
    *,
    repeat: int,
    reset: Callable[[], object],
    hedge: Callable[[], object],
    floor_fn: Callable[[], object],
    verify: Callable[[], object],
    log: Log,
    note: str = "",
) -> dict:
    """Time hedge and the floor `repeat` times each, alternating who goes first; medians and ratio."""
    times: dict[str, list[float]] = {"hedge": [], "floor": []}
    sides = [("hedge", hedge), ("floor", floor_fn)]
    for i in range(repeat):
        reset()
        for side, fn in sides if i % 2 == 0 else reversed(sides):
            times[side].append(_timed(fn))
        log(f"  {label} #{i + 1}: hedge {times['hedge'][-1]:.3f} s, floor {times['floor'][-1]:.3f} s")
    # Both sides computed the same thing, or the comparison means nothing.
    verify()
    hedge_s, floor_s = _seconds(times["hedge"]), _seconds(times["floor"])
    return {
        "key": key,
        "operation": label,
        "kind": "data",
        "unit": "s",
        "hedge": hedge_s,
        "floor": floor_s,
        # Time ratio: 1.0 is the floor; the issue asks for at most 1.2.
        "ratio": round(hedge_s["median"] / floor_s["median"], 3) if floor_s["median"] else None,
        "note": note,
    }


# --- the operations -----------------------------------------------------------------------------


class DataWork:
    """The data operations of one run, against the scratch database seeded by `seeding.seed`."""

    def __init__(self, seeded: seeding.Seeded, options: Options, log: Log) -> None:
        self.seeded, self.options, self.log = seeded, options, log
        self.season = Season.objects.get(pk=seeded.season_id)
        self.resolved = {
            key: resolve_challenges(LeaderboardDef.objects.get(key=key)) for key in (seeded.top_key, seeded.full_key)
        }
        self.floor_run_id: int | None = None
        self.change_round = 0
        self.changed_since: datetime.datetime | None = None

    # leaderboards

    def _reset_leaderboards(self, key: str) -> None:
        _truncate("leaderboard_entries", floor.ENTRIES, "leaderboard_runs")
        resolved = self.resolved[key]
        now = timezone.now()
        # The floor's entries need a run to belong to; creating it is not part of the floor's time.
        self.floor_run_id = LeaderboardRun.objects.create(
            leaderboard_id=key,
            period_start=datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),
            period_end=now,
            status=RunStatus.PROCESSING,
            challenge=resolved.challenge,
            fallback_challenge=resolved.fallback,
        ).pk

    def generation(self, op_key: str, label: str, *, leaderboard: str, limit: int, note: str) -> dict:
        resolved = self.resolved[leaderboard]
        return measure_pair(
            op_key,
            label,
            repeat=self.options.repeat,
            reset=lambda: self._reset_leaderboards(leaderboard),
            hedge=lambda: generate_leaderboard_run(leaderboard),
            floor_fn=lambda: floor.generate(
                run_id=self.floor_run_id,
                challenge=resolved.challenge,
                fallback=resolved.fallback,
                limit=limit,
                now=timezone.now(),
            ),
            verify=self._verify_entries,
            log=self.log,
            note=note,
        )

    def _verify_entries(self) -> None:
        hedge_run = LeaderboardRun.objects.filter(status=RunStatus.COMPLETE).latest("id").pk
        columns = "cluster_id, rank, position, score, tiebreaker, payload"
        differing = _count_differences(
            f"SELECT {columns} FROM leaderboard_entries WHERE run_id = %s",
            f"SELECT {columns} FROM {floor.ENTRIES} WHERE run_id = %s",
            [hedge_run],
            [self.floor_run_id],
        )
        if differing:
            raise RuntimeError(f"hedge's run and the floor's entries differ in {differing} rows")

    # seasons

    def change_progress(self) -> datetime.datetime:
        """Change 1% of the progress rows (every 100th by id: one challenge of every 10th cluster at 10)."""
        self.change_round += 1
        stamp = timezone.now()
        tier = seeding.tier_case("value + 1 + (id %% 97)")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE challenge_progress SET value = value + 1 + (id %% 97), current_tier = {tier},"
                " updated_at = %s WHERE (id + %s) %% 100 = 0",
                [connection.ops.adapt_datetimefield_value(stamp), self.change_round * 37],
            )
            changed = cursor.rowcount
        _vacuum("challenge_progress")
        self.log(f"  changed {changed:,} progress rows ({changed / max(self.seeded.progress_rows, 1):.2%})")
        self.changed_since = stamp
        return stamp

    def _verify_season(self) -> None:
        columns = "season_id, cluster_id, points, level"
        differing = _count_differences(
            f"SELECT {columns} FROM season_progress", f"SELECT {columns} FROM {floor.SEASON_PROGRESS}", [], []
        )
        if differing:
            raise RuntimeError(f"hedge's season_progress and the floor's differ in {differing} rows")

    def season_full(self) -> dict:
        return measure_pair(
            "season_recompute_all",
            f"season recompute, all clusters ({self.seeded.challenges} weighted challenges), from empty",
            repeat=self.options.repeat,
            reset=lambda: _truncate("season_progress", floor.SEASON_PROGRESS),
            hedge=lambda: recompute_season_points(self.season),
            floor_fn=lambda: floor.recompute_season(season=self.season, now=timezone.now()),
            verify=self._verify_season,
            log=self.log,
            note="every cluster's row inserted into an empty season_progress",
        )

    def season_changed_incremental(self) -> dict:
        return measure_pair(
            "season_recompute_changed",
            "season recompute after changing 1% of progress rows, changed clusters only",
            repeat=self.options.repeat,
            reset=self.change_progress,
            hedge=lambda: recompute_season_points(self.season, changed_since=self.changed_since),
            floor_fn=lambda: floor.recompute_season(
                season=self.season, now=timezone.now(), changed_since=self.changed_since
            ),
            verify=self._verify_season,
            log=self.log,
            note="hedge's incremental path (changed_since) vs the bare statement restricted to the same clusters",
        )

    def season_changed_full(self) -> dict:
        return measure_pair(
            "season_recompute_changed_all",
            "season recompute after changing 1% of progress rows, all clusters",
            repeat=self.options.repeat,
            reset=self.change_progress,
            hedge=lambda: recompute_season_points(self.season),
            floor_fn=lambda: floor.recompute_season(season=self.season, now=timezone.now()),
            verify=self._verify_season,
            log=self.log,
            note="both recompute every cluster; only the changed rows are rewritten",
        )


# --- HTTP -----------------------------------------------------------------------------------------


def _http_pair(
    key: str,
    label: str,
    server: load.Server,
    hedge_path: Callable[[int, int], str],
    floor_path: Callable[[int, int], str],
    options: Options,
    log: Log,
) -> dict:
    for path_for in (hedge_path, floor_path):
        for i in range(HTTP_WARMUP_REQUESTS):
            status, body = load.get(server.port, path_for(0, i))
            if status != 200:
                raise RuntimeError(f"GET {path_for(0, i)} answered {status}: {body[:300]!r}")
    runs: dict[str, list[dict]] = {"hedge": [], "floor": []}
    sides = [("hedge", hedge_path), ("floor", floor_path)]
    for i in range(options.repeat):
        for side, path_for in sides if i % 2 == 0 else reversed(sides):
            result = load.run_load(server.port, path_for, clients=options.http_clients, seconds=options.http_seconds)
            if result.errors:
                raise RuntimeError(
                    f"{side} {label}: {result.errors} failed requests, first: {result.first_error}\n{server.log_tail()}"
                )
            runs[side].append(result.summary())
        log(
            f"  {label} #{i + 1}: hedge {runs['hedge'][-1]['rps']:.0f} req/s,"
            f" floor {runs['floor'][-1]['rps']:.0f} req/s"
        )

    def summary(side: str) -> dict:
        values = runs[side]
        return {
            "rps": round(statistics.median(r["rps"] for r in values), 1),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in values), 2),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in values), 2),
            "requests": sum(r["requests"] for r in values),
            "runs": values,
        }

    hedge_s, floor_s = summary("hedge"), summary("floor")
    return {
        "key": key,
        "operation": label,
        "kind": "http",
        "unit": "req/s",
        "hedge": hedge_s,
        "floor": floor_s,
        # Throughput ratio: 1.0 is the floor; the issue asks for at least 0.8.
        "ratio": round(hedge_s["rps"] / floor_s["rps"], 3) if floor_s["rps"] else None,
        "note": f"gunicorn, 2 sync workers; {options.http_clients} concurrent clients for {options.http_seconds:g} s",
    }


def measure_http(scratch, seeded: seeding.Seeded, options: Options, log: Log) -> list[dict]:
    sample_rng = random.Random(6)  # noqa: S311 - a reproducible sample, not a secret
    numbers = sample_rng.sample(range(1, seeded.clusters + 1), min(HTTP_SAMPLE_CLUSTERS, seeded.clusters))
    cluster_ids = [seeding.cluster_id(n) for n in numbers]

    def progress(prefix: str) -> Callable[[int, int], str]:
        def path_for(client: int, i: int) -> str:
            cluster = cluster_ids[(client * 7919 + i) % len(cluster_ids)]
            return f"{prefix}/seasons/{seeded.season_id}/progress?clusterId={cluster}"

        return path_for

    def latest(prefix: str) -> Callable[[int, int], str]:
        path = f"{prefix}/leaderboards/{seeded.top_key}/latest?limit=100"
        return lambda client, i: path

    log(f"starting gunicorn (2 workers) on the scratch database, {options.http_clients} clients")
    with load.gunicorn(database_url=scratch.url, workers=2) as server:
        _check_floor_views_agree(server, seeded, cluster_ids[:20])
        return [
            _http_pair(
                "http_leaderboard_latest",
                "GET /leaderboards/{key}/latest?limit=100",
                server,
                latest(""),
                latest("/bench-floor"),
                options,
                log,
            ),
            _http_pair(
                "http_season_progress",
                "GET /seasons/{id}/progress?clusterId=",
                server,
                progress(""),
                progress("/bench-floor"),
                options,
                log,
            ),
        ]


def _check_floor_views_agree(server: load.Server, seeded: seeding.Seeded, cluster_ids: list[str]) -> None:
    """A floor view that answers something else is no floor: compare the answers before timing them."""

    def fetch(path: str) -> dict:
        status, body = load.get(server.port, path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}\n{server.log_tail()}")
        return json.loads(body)

    path = f"/leaderboards/{seeded.top_key}/latest?limit=100"
    hedge, bare = fetch(path), fetch("/bench-floor" + path)
    if hedge["entries"] != bare["entries"] or hedge["leaderboard"]["runId"] != bare["leaderboard"]["runId"]:
        raise RuntimeError("the floor's /latest answers differently from hedge's")
    fields = ("seasonId", "clusterId", "points", "level", "nextLevelThreshold", "pointsToNextLevel")
    for cluster in cluster_ids:
        path = f"/seasons/{seeded.season_id}/progress?clusterId={cluster}"
        hedge, bare = fetch(path), fetch("/bench-floor" + path)
        if [hedge[f] for f in fields] != [bare[f] for f in fields]:
            raise RuntimeError(f"the floor's progress of {cluster} differs from hedge's: {bare} vs {hedge}")


# --- the run --------------------------------------------------------------------------------------


def _meminfo_bytes() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - read-only, optional
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_info() -> dict:
    info = {
        "cores": os.cpu_count(),
        "memory_bytes": _meminfo_bytes(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "database": connection.vendor,
        "git_commit": _git_commit(),
        # Other work on the machine skews every number: the 1-minute load average when the run started.
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            info["database_version"] = cursor.fetchone()[0]
            names = ("shared_buffers", "work_mem", "maintenance_work_mem", "max_parallel_workers_per_gather", "jit")
            for name in names:
                cursor.execute(f"SHOW {name}")
                info[name] = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sqlite_version()")
            info["database_version"] = f"SQLite {cursor.fetchone()[0]}"
    return info


def run_benchmark(options: Options, *, log: Log = lambda _: None) -> dict:
    """Run every measurement in a scratch database (always dropped unless `keep_database`); return the report."""
    clock = Timer()

    def timed_log(message: str) -> None:
        log(f"[{clock}] {message}")

    report: dict = {"options": asdict(options), "operations": []}
    with scratch_database(keep=options.keep_database, log=timed_log) as scratch:
        report["scratch_database"] = scratch.name
        report["machine"] = machine_info()
        timed_log(f"seeding {options.clusters:,} clusters x {options.challenges} challenges")
        seeded = seeding.seed(clusters=options.clusters, challenges=options.challenges)
        floor.create_floor_tables()
        report["seed"] = {
            "clusters": seeded.clusters,
            "challenges": seeded.challenges,
            "progress_rows": seeded.progress_rows,
            "seconds": round(seeded.seconds, 2),
            "vacuum_analyze_seconds": round(seeded.analyze_seconds, 2),
        }
        timed_log(
            f"seeded {seeded.progress_rows:,} progress rows in {seeded.seconds:.1f} s"
            f" (+ VACUUM ANALYZE {seeded.analyze_seconds:.1f} s)"
        )
        work = DataWork(seeded, options, timed_log)
        operations = report["operations"]
        steps = [
            (
                "top-1000 generation",
                lambda: work.generation(
                    "generation_top_1000",
                    "top-1000 leaderboard generation (max_entries=1000)",
                    leaderboard=seeded.top_key,
                    limit=1000,
                    note="ALL_TIME, DENSE, no tiebreaker",
                ),
            ),
            (
                "full ranking",
                lambda: work.generation(
                    "generation_full",
                    "full ranking (max_entries=0, with a tiebreaker metric)",
                    leaderboard=seeded.full_key,
                    limit=0,
                    note="ALL_TIME, DENSE, tiebreaker = a second challenge (LEFT JOIN)",
                ),
            ),
            ("season recompute", work.season_full),
            ("season recompute after a 1% change (incremental)", work.season_changed_incremental),
            ("season recompute after a 1% change (all clusters)", work.season_changed_full),
        ]
        for title, step in steps:
            timed_log(title)
            operations.append(step())
        if options.http_seconds > 0:
            # The public endpoint serves the latest COMPLETE run; the full-ranking run stays beside it.
            generate_leaderboard_run(seeded.top_key)
            operations.extend(measure_http(scratch, seeded, options, timed_log))
        timed_log("done")
    report["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    report["total_seconds"] = round(time.perf_counter() - clock.started, 1)
    return report
