import json
import shlex
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from bench.report import format_table
from bench.runner import OPERATION_KEYS, SQLITE_MAX_CLUSTERS, Options, run_benchmark
from bench.scratch import SCRATCH_PREFIX

MAX_CLUSTERS = 20_000_000
MAX_CHALLENGES = 60
MAX_HISTORY_DAYS = 365


class Command(BaseCommand):
    help = (
        "Benchmark hedge against the bare-SQL floor, on identical data in the same run. "
        "Creates a scratch database (hedge_bench_<pid>_<random>) on the configured server, migrates it, "
        "seeds --clusters x --challenges progress rows set-based (generate_series), --history-days days of "
        "progress history (PostgreSQL), a LIFETIME and a GAINS season weighting every challenge and ALL_TIME, "
        "DAILY and MONTHLY leaderboards, runs VACUUM ANALYZE, then measures, --repeat times each, hedge's "
        "service next to the floor (the fastest plain SQL for the same result, written independently of "
        "hedge's statements, its rows compared with hedge's row for row) writing into an identical copy of its "
        "table: top-1000 generation (against a floor that records a run too), generate_leaderboard --all over "
        "100 top-1000 boards, full ranking into the lean entries floor (with bytes per entry), DAILY top-1000 "
        "and all-ranks, MONTHLY all-ranks, season recomputes (LIFETIME and GAINS; all clusters, and changed "
        "clusters after an ETL tick), and DAILY again with 60 more days of older history; the full ranking "
        "also with previousRank joined, and with 10,000 active exclusions against none. "
        "Then it serves hedge with gunicorn (2 workers, 127.0.0.1) and drives GET /leaderboards/{key}/latest "
        "(top 100, a deep page), a cluster lookup with around=10, clusters?ids= with 100 ids and "
        "GET /seasons/{id}/progress, and bare Django views running the same SQL, with --http-clients "
        "concurrent clients for --http-seconds each; then a load step of --load-clients clients for "
        "--load-seconds through gunicorn with production's settings. "
        "Prints one table (medians; ratio = hedge/floor: time "
        "for data work, requests/s for HTTP) and writes it with machine details and EXPLAIN plans to --json. "
        "The configured database is never touched and the scratch database is dropped at the end, also on "
        "errors and Ctrl-C. Needs PostgreSQL; on SQLite only small runs (at most "
        f"{SQLITE_MAX_CLUSTERS:,} clusters) are allowed, without the history operations. "
        "With --only NAME[,NAME] only those operations run; --keep-database keeps the scratch database and "
        "--database NAME measures a kept one again without seeding. "
        "Nothing here is a test: no ratio is asserted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clusters", type=int, default=1_000_000, help="clusters to seed (default 1,000,000)")
        parser.add_argument(
            "--challenges",
            type=int,
            default=10,
            help="challenges, each with a progress row for every cluster and a weight in the season (default 10)",
        )
        parser.add_argument(
            "--repeat",
            type=int,
            default=3,
            help="measurements of each operation per side; the median is reported (default 3)",
        )
        parser.add_argument(
            "--json",
            dest="json_path",
            metavar="FILE",
            help="also write the results, machine and command as JSON to FILE",
        )
        parser.add_argument(
            "--http-seconds",
            type=float,
            default=10.0,
            help="duration of each HTTP load run (default 10); 0 skips the HTTP measurements",
        )
        parser.add_argument(
            "--http-clients", type=int, default=8, help="concurrent HTTP clients during a load run (default 8)"
        )
        parser.add_argument(
            "--load-seconds",
            type=float,
            default=60.0,
            help="duration of each half of the load step (--load-clients on a mix of /latest, pages, cluster lookups"
            " and /progress, against hedge then against the bare views, production settings); default 60, 0 skips it",
        )
        parser.add_argument(
            "--load-cache-url",
            metavar="URL",
            help="CACHE_URL of the load step's server, e.g. redis://127.0.0.1:6379/1 (default: each worker's memory)",
        )
        parser.add_argument(
            "--load-clients", type=int, default=32, help="concurrent clients of the load step (default 32)"
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=30,
            help="days of challenge_progress_history to seed before today (default 30; PostgreSQL only)",
        )
        parser.add_argument(
            "--keep-database",
            action="store_true",
            help="keep the scratch database afterwards for inspection (its name is printed; drop it yourself)",
        )

        parser.add_argument(
            "--only",
            type=_names,
            default=(),
            metavar="NAME[,NAME]",
            help=f"only these operations: {', '.join(OPERATION_KEYS)}",
        )
        parser.add_argument(
            "--database",
            metavar="NAME",
            help=f"measure a kept scratch database ({SCRATCH_PREFIX}...) again instead of seeding a new one; it is"
            " kept afterwards (--clusters, --challenges and --history-days are then what it was seeded with)",
        )

    def handle(self, *args, json_path, **options):
        verbosity = options["verbosity"]
        # The dest of every option is the name of its Options field.
        bench_options = Options(**{name: options[name] for name in Options.__dataclass_fields__})
        self._check(bench_options, json_path=json_path)

        def log(message: str) -> None:
            if verbosity:
                self.stdout.write(message)
                self.stdout.flush()

        # With DEBUG on, Django records every query it runs: a cost per statement that hedge (a few
        # bookkeeping statements) would pay more often than the floor (one). Measure as in production.
        with _sigterm_as_interrupt(), override_settings(DEBUG=False):
            try:
                report = run_benchmark(bench_options, log=log)
            except KeyboardInterrupt:
                raise CommandError("interrupted; the scratch database was dropped") from None
            except RuntimeError as exc:
                raise CommandError(f"benchmark failed: {exc}") from exc
        report["command"] = _command_line(bench_options, json_path)
        self.stdout.write(format_table(report))
        if json_path:
            Path(json_path).write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
            if verbosity:
                self.stdout.write(f"wrote {json_path}")

    def _check(self, options: Options, *, json_path):
        clusters, challenges, repeat = options.clusters, options.challenges, options.repeat
        http_seconds, http_clients = options.http_seconds, options.http_clients
        if not 1 <= clusters <= MAX_CLUSTERS:
            raise CommandError(f"--clusters must be between 1 and {MAX_CLUSTERS:,}, got {clusters:,}")
        if not 2 <= challenges <= MAX_CHALLENGES:
            raise CommandError(
                f"--challenges must be between 2 and {MAX_CHALLENGES} (the full ranking needs a second challenge as"
                f" its tiebreaker), got {challenges}"
            )
        if not 1 <= options.history_days <= MAX_HISTORY_DAYS:
            raise CommandError(f"--history-days must be between 1 and {MAX_HISTORY_DAYS}, got {options.history_days}")
        unknown = [name for name in options.only if name not in OPERATION_KEYS]
        if unknown:
            raise CommandError(f"--only: unknown operation {', '.join(unknown)}; known: {', '.join(OPERATION_KEYS)}")
        if options.database is not None and not options.database.startswith(SCRATCH_PREFIX):
            raise CommandError(
                f"--database must name a kept scratch database ({SCRATCH_PREFIX}...), got {options.database}"
            )
        if repeat < 1:
            raise CommandError(f"--repeat must be at least 1, got {repeat}")
        if http_seconds < 0:
            raise CommandError(f"--http-seconds must be 0 (skip) or more, got {http_seconds:g}")
        if not 1 <= http_clients <= 64:
            raise CommandError(f"--http-clients must be between 1 and 64, got {http_clients}")
        if options.load_seconds < 0:
            raise CommandError(f"--load-seconds must be 0 (skip) or more, got {options.load_seconds:g}")
        if not 1 <= options.load_clients <= 128:
            raise CommandError(f"--load-clients must be between 1 and 128, got {options.load_clients}")
        if json_path and not Path(json_path).resolve().parent.is_dir():
            raise CommandError(f"--json {json_path}: the directory {Path(json_path).resolve().parent} does not exist")
        if connection.vendor not in ("postgresql", "sqlite"):
            raise CommandError(f"bench runs on PostgreSQL (or SQLite for small runs), not {connection.vendor}")
        if connection.vendor == "sqlite" and clusters > SQLITE_MAX_CLUSTERS and options.database is None:
            raise CommandError(
                f"--clusters {clusters:,} on SQLite: the benchmark needs PostgreSQL above {SQLITE_MAX_CLUSTERS:,}"
                " clusters (set DATABASE_URL=postgres://...; the configured database itself is not touched)"
            )


def _names(value: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in value.split(",") if name.strip())


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the scratch database is still dropped."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _command_line(options: Options, json_path: str | None) -> str:
    # The form that needs no environment: `python -m bench` always runs under bench.settings.
    parts = [
        "python",
        "-m",
        "bench",
        f"--clusters={options.clusters}",
        f"--challenges={options.challenges}",
        f"--repeat={options.repeat}",
        f"--http-seconds={options.http_seconds:g}",
        f"--http-clients={options.http_clients}",
        f"--history-days={options.history_days}",
        f"--load-seconds={options.load_seconds:g}",
        f"--load-clients={options.load_clients}",
    ]
    if options.load_cache_url:
        parts.append(f"--load-cache-url={options.load_cache_url}")
    if options.keep_database:
        parts.append("--keep-database")
    if options.only:
        parts.append(f"--only={','.join(options.only)}")
    if options.database:
        parts.append(f"--database={options.database}")
    if json_path:
        parts.append(f"--json={json_path}")
    return shlex.join(parts)
