"""What the feature benchmarks' commands (bench_leagues, bench_prizes, bench_profiles) share: their options, the
checks on them, the run and the report written to --json. Each command names its benchmark, its help, its
smallest --clusters, and how it prints one operation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from .runner import Options
from .scratch import SCRATCH_PREFIX

MAX_CLUSTERS = 20_000_000


class FeatureBenchCommand(BaseCommand):
    """`manage.py bench_<feature>`: seed a scratch database, measure, print each operation, write --json."""

    # What the command measures, in the words of its CommandError ("The prizes benchmark").
    title: str
    min_clusters = 1_000
    # The operations --only may name; empty: the command has no --only.
    operations: tuple[str, ...] = ()
    # Whether --database NAME (a kept scratch database, measured again without seeding) is offered.
    reuses_database = False

    def run_benchmark(self, options: Options, *, log: Callable[[str], None]) -> dict:
        raise NotImplementedError

    def describe(self, op: dict) -> str:
        """One operation of the report, as one printed line."""
        if op["kind"] == "http":
            return f"{op['operation']}: hedge {op['hedge']}, floor {op['floor']}, ratio {op['ratio']} ({op['target']})"
        return (
            f"{op['operation']}: hedge {op['hedge']['median']} s, floor {op['floor']['median']} s,"
            f" ratio {op['ratio']} ({op['target']})"
        )

    def add_arguments(self, parser):
        parser.add_argument("--clusters", type=int, default=1_000_000, help="clusters ranked (default 1M)")
        parser.add_argument("--repeat", type=int, default=3, help="measurements per side (default 3)")
        parser.add_argument("--http-seconds", type=float, default=10.0, help="per HTTP measurement; 0 skips it")
        parser.add_argument("--http-clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
        parser.add_argument("--json", type=Path, help="write the report here")
        parser.add_argument("--keep-database", action="store_true", help="keep the scratch database")
        if self.operations:
            parser.add_argument("--only", action="append", choices=self.operations, help="only these (repeatable)")
        if self.reuses_database:
            parser.add_argument(
                "--database",
                help="measure a kept scratch database (hedge_bench_..., from --keep-database) again, without "
                "seeding it; --clusters is then what it was seeded with",
            )

    def handle(self, *args, **options):
        database = options.get("database")
        if database is not None and not database.startswith(SCRATCH_PREFIX):
            raise CommandError(f"--database must name a kept scratch database ({SCRATCH_PREFIX}...), got {database}")
        if connection.vendor != "postgresql":
            raise CommandError(f"{self.title} needs PostgreSQL (it seeds with generate_series).")
        if not self.min_clusters <= options["clusters"] <= MAX_CLUSTERS:
            raise CommandError(f"--clusters must be between {self.min_clusters:,} and {MAX_CLUSTERS:,}.")
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        run = Options(
            clusters=options["clusters"],
            repeat=options["repeat"],
            http_seconds=options["http_seconds"],
            http_clients=options["http_clients"],
            keep_database=options["keep_database"],
            only=tuple(options.get("only") or ()),
            database=database,
        )
        report = self.run_benchmark(run, log=lambda message: self.stdout.write(message))
        for op in report["operations"]:
            self.stdout.write(self.describe(op))
        if options["json"]:
            options["json"].write_text(json.dumps(report, indent=2, default=str))
