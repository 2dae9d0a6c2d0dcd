"""The leagues' benchmark (issue #27), in its own scratch database: `manage.py bench_leagues`.

Two identical WEEKLY boards rank `clusters` clusters' gains in an ended ISO week; one is followed by a
league of 10 tiers and cohorts of 30, the other by a league that hedge never writes (the floor's).
Both leagues start the week with the same levels (a previous week's moves, seeded: level 1..10).

1. Placement: a generation of the league's board that places every cluster (hedge: leagues.sql.PLACE_MEMBERS
   inside the generation), next to a generation of the plain board plus a plain `INSERT ... SELECT` of
   the seats (entries joined with last week's moves, numbered per level), written independently.
   Target: hedge <= 1.3 x the floor.
2. Moves at period end: the final run of the league's board (its placement finds nobody new, then the
   moves: leagues.sql.WRITE_MOVES), next to the final run of the plain board plus a plain `INSERT ...
   SELECT` of the moves (zones from `MAX(rank) FILTER (WHERE place <= n)`), written independently.
   Target: hedge <= 1.2 x the floor.
3. `GET /leagues/{key}/clusters/{id}` through gunicorn next to a bare view (bench.league_views, plain SQL and
   Python written from the issue's definition, nothing of hedge's) that answers the same JSON (compared on 25
   clusters before timing); target >= 0.8x requests/s.

Each pair's rows are compared row for row (seats, then moves) before a ratio is reported.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import time
from collections.abc import Callable

from django.db import connection, transaction

from hedge.challenges.models import Challenge, ChallengeCategory
from hedge.challenges.services.history import DEFAULT_MONTHS_AHEAD, create_history_partitions
from hedge.core.db import bulk_join_plan, create_temp_table
from leaderboards.models import LeaderboardDef, LeaderboardRun, RankMode, RunStatus, TimeWindow
from leaderboards.services import generate_final_run, generate_leaderboard_run
from leagues import sql as league_sql
from leagues.models import League, LeagueMember, LeaguePeriod, LeagueTier

from . import load
from .runner import Options, _count_differences, _http_pair, _vacuum, explain, machine_info, measure_pair
from .scratch import scratch_database

Log = Callable[[str], None]

LEAGUE_BOARD, PLAIN_BOARD = "bench_weekly_league", "bench_weekly_plain"
LEAGUE_KEY, FLOOR_LEAGUE_KEY = "bench_league", "bench_league_floor"
WEEK_START = datetime.datetime(2020, 1, 6, tzinfo=datetime.UTC)  # a Monday
WEEK_END = WEEK_START + datetime.timedelta(days=7)
PREVIOUS_WEEK = WEEK_START - datetime.timedelta(days=7)
TIERS, COHORT_SIZE = 10, 30
# Each tier but the top promotes 7 of 30; each but the lowest demotes 5.
PROMOTE, DEMOTE = 7, 5
# Cohort reads whose answers (hedge's and the bare view's) are compared before any is timed.
AGREEMENT_CHECKS = 25
# What `manage.py bench_leagues --only` picks from (each measurement sets up what it measures).
MEASUREMENTS = ("placement", "moves", "http")

# One history row per cluster inside the week (its gain: 1..1000, many ties as in a real week), and one row
# before it (so the challenge's history starts before the week and every other cluster's baseline is 0).
# Uses index: none (a one-off seed).
SEED_GAINS = """
INSERT INTO challenge_progress_history (cluster_id, challenge_id, value, recorded_at)
SELECT 'c' || LPAD(CAST(g AS TEXT), 8, '0'), %(challenge)s, 1 + (CAST(g AS BIGINT) * 7919) %% 1000,
       %(start)s + (g %% 600000) * INTERVAL '1 second'
FROM generate_series(1, %(clusters)s) g
UNION ALL
SELECT 'c00000000', %(challenge)s, 0, %(start)s - INTERVAL '1 day'
"""

# Last week's places and moves of both leagues: each cluster ends last week at level 1 + g mod 10.
# Uses index: none (a one-off seed).
SEED_PREVIOUS_MEMBERS = """
INSERT INTO league_members (league_id, period_start, cluster_id, level, cohort, slot)
SELECT l.id, %(previous)s, 'c' || LPAD(CAST(g AS TEXT), 8, '0'), 1, (g - 1) / 1000000 + 1, g - 1
FROM generate_series(1, %(clusters)s) g CROSS JOIN leagues l
"""
SEED_PREVIOUS_MOVES = """
INSERT INTO league_moves (league_id, period_start, cluster_id, level, cohort, rank, score, move, next_level)
SELECT l.id, %(previous)s, 'c' || LPAD(CAST(g AS TEXT), 8, '0'), 1 + g %% 10, 1, 1, 0, 'STAY', 1 + g %% 10
FROM generate_series(1, %(clusters)s) g CROSS JOIN leagues l
"""

# The floor of placement: every cluster of the run (the week's first run: nobody is placed yet) at the
# level last week's moves left it (1 without), numbered per level in board order; written independently
# of leagues.sql.PLACE_MEMBERS. Uses index: league_moves_unique_cluster (or a hash join).
FLOOR_PLACE = """
INSERT INTO league_members (league_id, period_start, cluster_id, level, cohort, slot)
SELECT %(league)s, %(start)s, s.cluster_id, s.level, (s.n - 1) / %(size)s + 1, s.n - 1
FROM (
    SELECT e.cluster_id, COALESCE(v.next_level, 1) AS level,
           ROW_NUMBER() OVER (PARTITION BY COALESCE(v.next_level, 1) ORDER BY e.position) AS n
    FROM leaderboard_entries e
    LEFT JOIN league_moves v
      ON v.league_id = %(league)s AND v.cluster_id = e.cluster_id AND v.period_start = %(previous)s
    WHERE e.run_id = %(run)s
) s
"""

# The floor of the moves: each cohort ranked by the final run (DENSE), the rank at the last promoting and
# the last staying place as MAX(rank) over the places up to it (ranks never decrease with place), counts
# only (the bench's tiers); written independently of leagues.sql.STANDINGS. PostgreSQL (FILTER).
FLOOR_MOVES = """
INSERT INTO league_moves (league_id, period_start, cluster_id, level, cohort, rank, score, move, next_level)
SELECT %(league)s, %(start)s, z.cluster_id, z.level, z.cohort, z.rank, z.score, z.move,
       z.level + CASE z.move WHEN 'PROMOTE' THEN 1 WHEN 'DEMOTE' THEN -1 ELSE 0 END
FROM (
    SELECT c.*,
           CASE WHEN c.entered AND c.level < %(top)s AND c.rank <= c.last_promoted THEN 'PROMOTE'
                WHEN c.level > 1 AND c.rank > c.last_staying THEN 'DEMOTE'
                ELSE 'STAY' END AS move
    FROM (
        SELECT r.*,
               MAX(r.rank) FILTER (WHERE r.place <= %(promote)s) OVER cohort AS last_promoted,
               COALESCE(MAX(r.rank) FILTER (WHERE r.place <= r.n - %(demote)s) OVER cohort, 0) AS last_staying
        FROM (
            SELECT m.cluster_id, m.level, m.cohort, COALESCE(e.score, 0) AS score, e.run_id IS NOT NULL AS entered,
                   DENSE_RANK() OVER w AS rank,
                   ROW_NUMBER() OVER (PARTITION BY m.level, m.cohort
                                      ORDER BY COALESCE(e.score, 0) DESC, COALESCE(e.tiebreaker, 0) DESC,
                                               e.position NULLS LAST, m.slot) AS place,
                   COUNT(*) OVER (PARTITION BY m.level, m.cohort) AS n
            FROM league_members m
            LEFT JOIN leaderboard_entries e ON e.run_id = %(run)s AND e.cluster_id = m.cluster_id
            WHERE m.league_id = %(league)s AND m.period_start = %(start)s
            WINDOW w AS (PARTITION BY m.level, m.cohort
                         ORDER BY COALESCE(e.score, 0) DESC, COALESCE(e.tiebreaker, 0) DESC)
        ) r
        WINDOW cohort AS (PARTITION BY r.level, r.cohort)
    ) c
) z
"""

SEATS = "SELECT cluster_id, level, cohort, slot FROM league_members WHERE league_id = %s AND period_start = %s"
MOVES = (
    "SELECT cluster_id, level, cohort, rank, score, move, next_level FROM league_moves"
    " WHERE league_id = %s AND period_start = %s"
)


def seed(clusters: int) -> dict:
    """The week's gains, two WEEKLY boards, two leagues of 10 tiers (cohorts of 30) and last week's levels."""
    category = ChallengeCategory.objects.create(key="bench_weekly", name="Benchmark")
    challenge = Challenge.objects.create(
        code="bench_weekly_xp", category=category, name="XP", metric_source="bench", metric_key="xp"
    )
    create_history_partitions(now=PREVIOUS_WEEK, months_ahead=DEFAULT_MONTHS_AHEAD)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SEED_GAINS, {"challenge": challenge.pk, "start": WEEK_START, "clusters": clusters})
    common = {
        "category_key": category.key,
        "metric_source": "bench",
        "metric_key": "xp",
        "time_window": TimeWindow.WEEKLY,
        "max_entries": 0,
        "rank_mode": RankMode.DENSE,
    }
    boards = {
        LEAGUE_KEY: LeaderboardDef.objects.create(key=LEAGUE_BOARD, name="Weekly with a league", **common),
        FLOOR_LEAGUE_KEY: LeaderboardDef.objects.create(key=PLAIN_BOARD, name="Weekly, plain", **common),
    }
    leagues = {}
    for key, board in boards.items():
        league = League.objects.create(key=key, name=key, leaderboard=board, cohort_size=COHORT_SIZE)
        for level in range(1, TIERS + 1):
            LeagueTier.objects.create(
                league=league,
                level=level,
                name=f"Tier {level}",
                promote_count=PROMOTE if level < TIERS else None,
                demote_count=DEMOTE if level > 1 else None,
            )
        LeaguePeriod.objects.create(
            league=league,
            period_start=PREVIOUS_WEEK,
            period_end=WEEK_START,
            cohort_size=COHORT_SIZE,
            opened_at=PREVIOUS_WEEK,
            closed_by_run_id=0,
            closed_at=WEEK_START,
        )
        leagues[key] = league
    # The floor league belongs to a board hedge's leagues never see (inactive), so only the floor writes it.
    League.objects.filter(key=FLOOR_LEAGUE_KEY).update(is_active=False)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SEED_PREVIOUS_MEMBERS, {"previous": PREVIOUS_WEEK, "clusters": clusters})
        cursor.execute(SEED_PREVIOUS_MOVES, {"previous": PREVIOUS_WEEK, "clusters": clusters})
    _vacuum("challenge_progress_history", "league_members", "league_moves", "league_tiers")
    return leagues


def _reset_week() -> None:
    """No run, and no place or move of the week: each repetition places the week's clusters again."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leaderboard_entries, leaderboard_run_exclusions, leaderboard_run_movers")
        cursor.execute("DELETE FROM leaderboard_runs")
        cursor.execute("DELETE FROM league_members WHERE period_start = %s", [WEEK_START])
        cursor.execute("DELETE FROM league_moves WHERE period_start = %s", [WEEK_START])
        cursor.execute("DELETE FROM league_periods WHERE period_start = %s", [WEEK_START])
        cursor.execute("DELETE FROM webhook_events")
    _vacuum("leaderboard_runs", "leaderboard_entries", "league_members", "league_moves")


def _run(board: str) -> LeaderboardRun:
    return generate_leaderboard_run(board, period_start=WEEK_START, period_end=WEEK_END)


def _final(board: str) -> LeaderboardRun:
    return generate_final_run(board, period_start=WEEK_START, period_end=WEEK_END, note="bench")


def _league_id(key: str) -> int:
    return League.objects.only("pk").get(key=key).pk


def _floor_place(run: LeaderboardRun) -> None:
    params = {
        "league": _league_id(FLOOR_LEAGUE_KEY),
        "start": WEEK_START,
        "previous": PREVIOUS_WEEK,
        "run": run.pk,
        "size": COHORT_SIZE,
    }
    # The same planner settings as hedge's statements (both sides join sets the statistics do not know yet).
    with transaction.atomic(), connection.cursor() as cursor, bulk_join_plan(cursor):
        cursor.execute(FLOOR_PLACE, params)


def _floor_placement_side() -> None:
    _floor_place(_run(PLAIN_BOARD))


def _floor_moves(run: LeaderboardRun) -> None:
    params = {
        "league": _league_id(FLOOR_LEAGUE_KEY),
        "start": WEEK_START,
        "run": run.pk,
        "top": TIERS,
        "promote": PROMOTE,
        "demote": DEMOTE,
    }
    with transaction.atomic(), connection.cursor() as cursor, bulk_join_plan(cursor):
        cursor.execute(FLOOR_MOVES, params)


def _floor_moves_side() -> None:
    _floor_moves(_final(PLAIN_BOARD))


def _verify(query: str, what: str) -> Callable[[], None]:
    def verify() -> None:
        hedge, floor = [_league_id(LEAGUE_KEY), WEEK_START], [_league_id(FLOOR_LEAGUE_KEY), WEEK_START]
        rows = LeagueMember.objects.filter(league_id=hedge[0], period_start=WEEK_START).count()
        differences = _count_differences(query, query, hedge, floor)
        if not rows or differences:
            raise RuntimeError(f"the {what} differ: {differences} rows of {rows:,}")

    return verify


def measure_placement(clusters: int, options: Options, log: Log) -> dict:
    op = measure_pair(
        "league_placement",
        f"a generation of {clusters:,} entries that places them all (10 tiers, cohorts of 30)",
        repeat=options.repeat,
        reset=_reset_week,
        hedge=lambda: _run(LEAGUE_BOARD),
        floor_fn=_floor_placement_side,
        verify=_verify(SEATS, "seats"),
        log=log,
        note="floor = the same generation on a board without a league + a plain INSERT ... SELECT of the seats "
        "(entries joined with last week's moves, numbered per level)",
    )
    op["target"] = "hedge <= 1.3x of the floor"
    run = LeaderboardRun.objects.get(leaderboard_id=LEAGUE_BOARD, status=RunStatus.COMPLETE)
    params = {
        "league": _league_id(LEAGUE_KEY),
        "start": WEEK_START,
        "previous": PREVIOUS_WEEK,
        "run": run.pk,
        "size": COHORT_SIZE,
    }

    def setup(cursor) -> None:
        cursor.execute(
            "DELETE FROM league_members WHERE league_id = %s AND period_start = %s", [params["league"], WEEK_START]
        )
        create_temp_table(cursor, league_sql.SEATS_TABLE, league_sql.SEATS_COLUMNS)
        cursor.execute(league_sql.TIER_SEATS, params)
        # The planner settings PLACE_MEMBERS runs under (hedge.core.db.bulk_join_plan), for this transaction: without
        # them the plan shown is one the service never runs (a nested loop over rows newer than the statistics).
        cursor.execute("SELECT set_config('jit', 'off', true), set_config('enable_nestloop', 'off', true)")

    op["plan"] = explain(league_sql.PLACE_MEMBERS, params, setup=setup)
    return op


def _place_both() -> None:
    """The week's runs of both boards (every cluster placed by each), then their finals are measured."""
    _reset_week()
    _run(LEAGUE_BOARD)
    _floor_place(_run(PLAIN_BOARD))


def _reset_finals() -> None:
    """The week's places stay; its final runs and moves go, so each repetition closes the week again."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM league_moves WHERE period_start = %s", [WEEK_START])
        cursor.execute(
            "UPDATE league_periods SET closed_by_run_id = NULL, closed_at = NULL WHERE period_start = %s",
            [WEEK_START],
        )
        cursor.execute(
            "DELETE FROM leaderboard_entries WHERE run_id IN (SELECT id FROM leaderboard_runs WHERE is_final)"
        )
        cursor.execute("DELETE FROM leaderboard_runs WHERE is_final")
        cursor.execute("DELETE FROM webhook_events")
    _vacuum("leaderboard_runs", "leaderboard_entries", "league_moves")


def measure_moves(clusters: int, options: Options, log: Log) -> dict:
    _place_both()
    op = measure_pair(
        "league_moves",
        f"the final run of {clusters:,} entries and the moves of their cohorts",
        repeat=options.repeat,
        reset=_reset_finals,
        hedge=lambda: _final(LEAGUE_BOARD),
        floor_fn=_floor_moves_side,
        verify=_verify(MOVES, "moves"),
        log=log,
        note="floor = the same final run on a board without a league + a plain INSERT ... SELECT of the moves "
        "(zones as MAX(rank) FILTER (WHERE place <= n))",
    )
    op["target"] = "hedge <= 1.2x of the floor"
    return op


def measure_cohort_reads(scratch, clusters: int, options: Options, log: Log) -> dict:
    """GET /leagues/{key}/clusters/{id} of random clusters next to the bare view, on the week's placed run."""
    _place_both()
    # Both sides read the run just written: its statistics are taken first, as a scheduled run's would be by then.
    _vacuum("leaderboard_entries", "league_members")
    rng = random.Random(27)  # noqa: S311 - a reproducible sample, not a secret
    ids = [f"c{rng.randint(1, clusters):08d}" for _ in range(1000)]

    def hedge_path(client: int, i: int) -> str:
        return f"/leagues/{LEAGUE_KEY}/clusters/{ids[(client * 97 + i) % len(ids)]}"

    def floor_path(client: int, i: int) -> str:
        return "/bench-floor" + hedge_path(client, i)

    with load.gunicorn(database_url=scratch.url) as server:
        for i in range(AGREEMENT_CHECKS):
            _check_floor_agrees(server, hedge_path(i, 0))
        op = _http_pair(
            "league_cohort", "GET /leagues/{key}/clusters/{id}", server, hedge_path, floor_path, options, log
        )
    op["target"] = "hedge >= 0.8x of the bare view's requests/s"
    return op


def _check_floor_agrees(server, path: str) -> None:
    """A bare view that answers something else is no floor: compare the answers before timing them."""
    (status, body), (bare_status, bare_body) = load.get(server.port, path), load.get(server.port, "/bench-floor" + path)
    if status != 200 or bare_status != 200 or json.loads(body) != json.loads(bare_body):
        raise RuntimeError(f"the bare view answers something else: {bare_body[:300]!r} vs {body[:300]!r}")


def run_leagues_benchmark(options: Options, *, log: Log = lambda _: None) -> dict:
    """The measurements (`options.only` of MEASUREMENTS, default all) in a scratch database (dropped unless
    `keep_database`), or in the kept one `options.database` without seeding it again; the report."""
    wanted = set(options.only or MEASUREMENTS)
    report: dict = {"options": {"clusters": options.clusters, "repeat": options.repeat}, "operations": []}
    with scratch_database(keep=options.keep_database, existing=options.database, log=log) as scratch:
        report["scratch_database"] = scratch.name
        report["machine"] = machine_info()
        clusters = options.clusters
        if options.database is None:
            started = time.perf_counter()
            seed(clusters)
            log(
                f"seeded {clusters:,} clusters' weekly gains and last week's levels"
                f" in {time.perf_counter() - started:.1f} s"
            )
        else:
            # A kept database as it was seeded (each measurement resets what it measures): its size is last week's.
            clusters = LeagueMember.objects.filter(league_id=_league_id(LEAGUE_KEY), period_start=PREVIOUS_WEEK).count()
            report["options"]["clusters"] = clusters
            log(f"measuring the kept database {scratch.name}: {clusters:,} clusters")
        if "placement" in wanted:
            report["operations"].append(measure_placement(clusters, options, log))
        if "moves" in wanted:
            report["operations"].append(measure_moves(clusters, options, log))
        if "http" in wanted and options.http_seconds > 0:
            report["operations"].append(measure_cohort_reads(scratch, clusters, options, log))
    report["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    return report
