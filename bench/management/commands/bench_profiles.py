import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.profiles import run_profiles_benchmark
from bench.runner import Options

MAX_CLUSTERS = 20_000_000
OPERATIONS = ("http", "movers_design")


class Command(BaseCommand):
    help = (
        "Benchmark the player-centred reads (issue #24) in a scratch database: --clusters clusters on 10 WEEKLY "
        "boards (a run of every cluster each, movers recorded), 52 final runs of 10,000 entries, half the clusters "
        "named. GET /clusters/{id}, /history?limit=52 and /latest/movers?limit=10 through gunicorn, each next to "
        "a bare view running the same statements (targets: >= 0.8x req/s, p99 <= 1.3x); then the movers design "
        "(stored at generation vs an index query). Needs PostgreSQL. Nothing here is a test: no ratio is asserted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clusters", type=int, default=1_000_000, help="clusters and entries per board (1M)")
        parser.add_argument("--repeat", type=int, default=3, help="measurements per side (default 3)")
        parser.add_argument("--http-seconds", type=float, default=10.0, help="per HTTP measurement; 0 skips them")
        parser.add_argument("--http-clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
        parser.add_argument("--only", action="append", choices=OPERATIONS, help="only these (repeatable)")
        parser.add_argument("--json", type=Path, help="write the report here")
        parser.add_argument("--keep-database", action="store_true", help="keep the scratch database")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The profiles benchmark needs PostgreSQL (it seeds with generate_series).")
        if not 10_000 <= options["clusters"] <= MAX_CLUSTERS:
            raise CommandError(f"--clusters must be between 10,000 and {MAX_CLUSTERS:,}.")
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        run = Options(
            clusters=options["clusters"],
            repeat=options["repeat"],
            http_seconds=options["http_seconds"],
            http_clients=options["http_clients"],
            keep_database=options["keep_database"],
            only=tuple(options["only"] or ()),
        )
        report = run_profiles_benchmark(run, log=lambda message: self.stdout.write(message))
        for op in report["operations"]:
            if op["kind"] == "http":
                self.stdout.write(
                    f"{op['operation']}: hedge {op['hedge']['rps']} req/s p99 {op['hedge']['p99_ms']} ms, bare "
                    f"{op['floor']['rps']} req/s p99 {op['floor']['p99_ms']} ms; ratio {op['ratio']}, p99 ratio "
                    f"{op['p99_ratio']} ({op['target']})"
                )
            else:
                stored, index = op["stored"], op["index"]
                self.stdout.write(
                    f"{op['operation']}: stored {stored['record_at_generation_s']} s at generation, read "
                    f"{stored['read']}; index query read {index['read']}, indexes {index['size_bytes']} bytes built "
                    f"in {index['build_s_all_runs']} s, a run's entries written in "
                    f"{index['insert_run_s_with_indexes']} s with them vs {index['insert_run_s_without']} s without"
                )
        if options["json"]:
            options["json"].write_text(json.dumps(report, indent=2, default=str))
