"""The prizes' benchmark (issue #22), in its own scratch database: `manage.py bench_prizes`.

1. Publishing a final run of `clusters` entries with a prize table of 10 rows covering the top 1%
   (about clusters/100 awards), next to publishing the same standings on an identical board without
   prizes plus a plain `INSERT ... SELECT` floor for the awards (a join of the run's entries with the
   rank ranges, written independently of prizes.sql). Both in the same run, `repeat` times each,
   alternating who goes first; the target is hedge <= 1.2 x (publishing without prizes + the floor).
2. `GET /service/awards?status=PENDING&limit=100&after=...` through gunicorn, next to a bare view
   (bench.prize_views) that checks the key and reads the same page with a bare cursor; target >= 0.8x.

The boards rank season points (one seeded table, season_progress, a season that has ended and is
final), so seeding costs one generate_series statement.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from leaderboards.models import LeaderboardDef, LeaderboardRun, RunStatus, TimeWindow
from leaderboards.resolve import SEASON_POINTS
from leaderboards.services import generate_final_run
from prizes.models import LeaderboardAward, LeaderboardPrize
from prizes.sql import AWARD
from seasons.models import Season

from . import load
from .runner import Options, _http_pair, _vacuum, explain, machine_info, measure_pair
from .scratch import scratch_database

Log = Callable[[str], None]

SEASON_ID = "BENCH-PRIZES"
PRIZES_KEY = "bench_final_prizes"
PLAIN_KEY = "bench_final_plain"
SEASON_START = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
SEASON_END = datetime.datetime(2020, 4, 1, tzinfo=datetime.UTC)
HTTP_PAGE = 100

# Season points: few distinct values near the top would make ties; a wide spread keeps about one
# cluster per rank, as a real season's top does. Uses index: none (a one-off seed).
SEED_POINTS = """
INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, 'c' || LPAD(CAST(g AS TEXT), 8, '0'), 1 + (CAST(g AS BIGINT) * 7919) %% (%(clusters)s * 10), 0,
       %(at)s, %(at)s - g * INTERVAL '1 second'
FROM generate_series(1, %(clusters)s) g
"""

# The floor: the awards as a plain join of the run's entries with the rank ranges (the bench's table
# has rank ranges only), written independently of prizes.sql.AWARD.
FLOOR_AWARDS = """
INSERT INTO leaderboard_awards (run_id, leaderboard_key, period_start, period_end, cluster_id, rank, position,
                                score, prize_id, name, kind, quantity, data, status, created_at)
SELECT e.run_id, %(key)s, %(start)s, %(end)s, e.cluster_id, e.rank, e.position, e.score,
       p.id, p.name, p.kind, p.quantity, p.data, 'PENDING', now()
FROM leaderboard_prizes p
JOIN leaderboard_entries e ON e.run_id = %(run)s AND e.rank BETWEEN p.rank_from AND p.rank_to
WHERE p.leaderboard_key = %(prizes_key)s
"""


def prize_ranges(clusters: int) -> list[tuple[int, int]]:
    """10 rank ranges covering the top 1%: 1, 2, 3, 4-10, 11-100, then five slices up to clusters/100."""
    top = max(clusters // 100, 110)
    cuts = [100, *(max(100 + i, int(top * share)) for i, share in enumerate((0.1, 0.25, 0.5, 0.75, 1.0), start=1))]
    return [(1, 1), (2, 2), (3, 3), (4, 10), (11, 100)] + [(a + 1, b) for a, b in itertools.pairwise(cuts)]


@dataclass(frozen=True)
class PrizeBench:
    clusters: int
    awards: int  # awards a final run writes


def seed(clusters: int) -> PrizeBench:
    """An ended, final season with `clusters` clusters' points; two identical SEASON boards, one with 10 prize rows."""
    season = Season.objects.create(
        id=SEASON_ID,
        name="Benchmark prizes",
        starts_at=SEASON_START,
        ends_at=SEASON_END,
        scoring="LIFETIME",
        finalized_at=SEASON_END,
    )
    with connection.cursor() as cursor:
        cursor.execute(SEED_POINTS, {"season": season.pk, "clusters": clusters, "at": SEASON_END})
    common = {
        "category_key": SEASON_POINTS[0],
        "metric_source": SEASON_POINTS[1],
        "metric_key": SEASON_POINTS[2],
        "time_window": TimeWindow.SEASON,
        "max_entries": 0,
    }
    board = LeaderboardDef.objects.create(key=PRIZES_KEY, name="Final with prizes", **common)
    LeaderboardDef.objects.create(key=PLAIN_KEY, name="Final without prizes", **common)
    for number, (first, last) in enumerate(prize_ranges(clusters)):
        LeaderboardPrize.objects.create(
            leaderboard=board,
            rank_from=first,
            rank_to=last,
            name=f"Prize {number + 1}",
            kind="token" if number < 5 else "badge",
            quantity=1000 // (number + 1),
            data={"tier": number + 1},
        )
    _vacuum("season_progress", "leaderboard_prizes")
    return PrizeBench(clusters=clusters, awards=prize_ranges(clusters)[-1][1])


def _reset() -> None:
    """No final run, entry or award: each repetition publishes the first final of the season again."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leaderboard_awards, leaderboard_entries, leaderboard_run_exclusions")
        cursor.execute("DELETE FROM leaderboard_runs")
    _vacuum("leaderboard_runs", "leaderboard_entries", "leaderboard_awards")


def _final(key: str) -> LeaderboardRun:
    return generate_final_run(key, period_start=SEASON_START, period_end=SEASON_END)


def _floor_side() -> None:
    run = _final(PLAIN_KEY)
    params = {"key": PLAIN_KEY, "start": SEASON_START, "end": SEASON_END, "run": run.pk, "prizes_key": PRIZES_KEY}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FLOOR_AWARDS, params)


def _verify() -> None:
    """Both sides awarded the same (cluster, prize, rank, position) rows, or the comparison means nothing."""
    runs = dict(LeaderboardRun.objects.filter(status=RunStatus.COMPLETE).values_list("leaderboard_id", "pk"))

    def awards(key):
        return set(
            LeaderboardAward.objects.filter(run_id=runs[key]).values_list("cluster_id", "name", "rank", "position")
        )

    hedge, bare = awards(PRIZES_KEY), awards(PLAIN_KEY)
    if not hedge or hedge != bare:
        raise RuntimeError(f"the awards differ: {len(hedge)} from hedge, {len(bare)} from the floor")


def measure_publication(bench: PrizeBench, options: Options, log: Log) -> dict:
    """Publishing the final run with prizes next to publishing it without prizes plus the floor's awards."""
    op = measure_pair(
        "final_publication_with_prizes",
        f"final run of {bench.clusters:,} entries with 10 prize rows (top 1%)",
        repeat=options.repeat,
        reset=_reset,
        hedge=lambda: _final(PRIZES_KEY),
        floor_fn=_floor_side,
        verify=_verify,
        log=log,
        note="floor = publishing the same standings on a board without prizes + a plain INSERT ... SELECT of "
        "the awards (entries joined with the rank ranges)",
    )
    op["target"] = "hedge <= 1.2x of the floor"
    op["awards"] = LeaderboardAward.objects.filter(leaderboard_key=PRIZES_KEY).count()
    # The awards statement alone, and its plan, on the run just published.
    run = LeaderboardRun.objects.get(leaderboard_id=PRIZES_KEY, status=RunStatus.COMPLETE)
    params = {"run": run.pk, "rows": run.row_count, "now": timezone.now(), "superseded": None}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM leaderboard_awards WHERE run_id = %s", [run.pk])
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(AWARD, params)
    op["award_statement_s"] = round(time.perf_counter() - started, 4)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM leaderboard_awards WHERE run_id = %s", [run.pk])
    op["plan"] = explain(AWARD, params)
    # The floor's awards statement alone, on the same run (what the floor side adds to its publication).
    floor_params = {"key": PRIZES_KEY, "start": SEASON_START, "end": SEASON_END, "run": run.pk}
    floor_params["prizes_key"] = PRIZES_KEY
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FLOOR_AWARDS, floor_params)
    op["floor_award_statement_s"] = round(time.perf_counter() - started, 4)
    log(
        f"  the awards statement alone: {op['award_statement_s']:.3f} s for {op['awards']:,} awards"
        f" (the floor's: {op['floor_award_statement_s']:.3f} s)"
    )
    return op


def measure_service_awards(scratch, bench: PrizeBench, options: Options, log: Log) -> dict:
    """GET /service/awards pages (PENDING, 100 at a time, from random ids) next to the bare view."""
    _reset()
    _final(PRIZES_KEY)
    _vacuum("leaderboard_awards")
    _, key = APIKey.objects.create_key(name="bench")
    ids = list(LeaderboardAward.objects.order_by("id").values_list("id", flat=True))
    rng = random.Random(22)  # noqa: S311 - a reproducible sample, not a secret
    afters = [rng.choice(ids[: max(1, len(ids) - HTTP_PAGE)]) for _ in range(1000)]

    def hedge_path(client: int, i: int) -> str:
        return f"/service/awards?status=PENDING&limit={HTTP_PAGE}&after={afters[(client * 97 + i) % len(afters)]}"

    def floor_path(client: int, i: int) -> str:
        return "/bench-floor" + hedge_path(client, i)

    with load.gunicorn(database_url=scratch.url) as server, load.default_headers({"Authorization": f"Api-Key {key}"}):
        _check_floor_agrees(server, hedge_path(0, 0))
        op = _http_pair(
            "service_awards", "GET /service/awards (100 PENDING)", server, hedge_path, floor_path, options, log
        )
    op["target"] = "hedge >= 0.8x of the bare view's requests/s"
    return op


def _check_floor_agrees(server, path: str) -> None:
    """A bare view that answers something else is no floor: compare the answers before timing them."""
    (status, body), (bare_status, bare_body) = load.get(server.port, path), load.get(server.port, "/bench-floor" + path)
    hedge, bare = json.loads(body), json.loads(bare_body) if bare_status == 200 else None
    if bare is not None and bare.get("next"):
        bare["next"] = bare["next"].replace("/bench-floor/", "/", 1)
    if status != 200 or hedge != bare or len(hedge["results"]) != HTTP_PAGE:
        raise RuntimeError(f"the bare view answers something else: {bare_body[:300]!r} vs {body[:300]!r}")


def run_prizes_benchmark(options: Options, *, log: Log = lambda _: None) -> dict:
    """Both measurements in a scratch database (always dropped unless `keep_database`); the report."""
    report: dict = {"options": {"clusters": options.clusters, "repeat": options.repeat}, "operations": []}
    with scratch_database(keep=options.keep_database, log=log) as scratch:
        report["machine"] = machine_info()
        started = time.perf_counter()
        bench = seed(options.clusters)
        log(f"seeded {options.clusters:,} clusters' season points in {time.perf_counter() - started:.1f} s")
        report["operations"].append(measure_publication(bench, options, log))
        if options.http_seconds > 0:
            report["operations"].append(measure_service_awards(scratch, bench, options, log))
    report["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    return report
