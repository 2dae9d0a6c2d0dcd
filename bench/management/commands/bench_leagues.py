import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.leagues import MEASUREMENTS, run_leagues_benchmark
from bench.runner import Options
from bench.scratch import SCRATCH_PREFIX

MAX_CLUSTERS = 20_000_000


class Command(BaseCommand):
    help = (
        "Benchmark the leagues (issue #27) in a scratch database: --clusters clusters ranked on a WEEKLY board "
        "followed by a league of 10 tiers and cohorts of 30. A generation that places them all next to the same "
        "generation without a league plus a plain INSERT ... SELECT of the seats (target <= 1.3x); the final "
        "run with the moves next to the final without a league plus a plain INSERT ... SELECT of the moves "
        "(target <= 1.2x); GET /leagues/{key}/clusters/{id} through gunicorn next to a bare view (>= 0.8x). "
        "Rows are compared before any ratio is reported. Needs PostgreSQL. Nothing here is a test."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clusters", type=int, default=1_000_000, help="clusters ranked (default 1M)")
        parser.add_argument("--repeat", type=int, default=3, help="measurements per side (default 3)")
        parser.add_argument("--http-seconds", type=float, default=10.0, help="per HTTP measurement; 0 skips it")
        parser.add_argument("--http-clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
        parser.add_argument("--json", type=Path, help="write the report here")
        parser.add_argument("--keep-database", action="store_true", help="keep the scratch database")
        parser.add_argument(
            "--only",
            action="append",
            choices=MEASUREMENTS,
            help="measure only this (repeatable): placement, moves or http (the cohort read); default all three",
        )
        parser.add_argument(
            "--database",
            metavar="NAME",
            help=f"measure a kept scratch database ({SCRATCH_PREFIX}...) again instead of seeding a new one; it is"
            " kept afterwards (--clusters is then what it was seeded with)",
        )

    def handle(self, *args, **options):
        if options["database"] is not None and not options["database"].startswith(SCRATCH_PREFIX):
            raise CommandError(
                f"--database must name a kept scratch database ({SCRATCH_PREFIX}...), got {options['database']}"
            )
        if connection.vendor != "postgresql":
            raise CommandError("The leagues benchmark needs PostgreSQL (it seeds with generate_series).")
        if not 1_000 <= options["clusters"] <= MAX_CLUSTERS:
            raise CommandError(f"--clusters must be between 1,000 and {MAX_CLUSTERS:,}.")
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        run = Options(
            clusters=options["clusters"],
            repeat=options["repeat"],
            http_seconds=options["http_seconds"],
            http_clients=options["http_clients"],
            keep_database=options["keep_database"],
            database=options["database"],
        )
        report = run_leagues_benchmark(run, only=options["only"], log=lambda message: self.stdout.write(message))
        for op in report["operations"]:
            self.stdout.write(
                f"{op['operation']}: hedge {op['hedge']}, floor {op['floor']}, ratio {op['ratio']} ({op['target']})"
                if op["kind"] == "http"
                else f"{op['operation']}: hedge {op['hedge']['median']} s, floor {op['floor']['median']} s,"
                f" ratio {op['ratio']} ({op['target']})"
            )
        if options["json"]:
            options["json"].write_text(json.dumps(report, indent=2, default=str))
