from bench.cli import FeatureBenchCommand
from bench.prizes import run_prizes_benchmark


class Command(FeatureBenchCommand):
    help = (
        "Benchmark the prizes (issue #22) in a scratch database: publishing a final run of --clusters entries "
        "with 10 prize rows covering the top 1%, next to publishing it without prizes plus a plain "
        "INSERT ... SELECT floor for the awards; then GET /service/awards pages through gunicorn next to a bare "
        "view. Prints each operation's medians and ratio; --json writes the report with the awards plan. "
        "Needs PostgreSQL. Nothing here is a test: no ratio is asserted."
    )
    title = "The prizes benchmark"

    def run_benchmark(self, options, *, log):
        return run_prizes_benchmark(options, log=log)

    def describe(self, op):
        if op["kind"] == "http":
            return super().describe(op)
        return f"{super().describe(op)}; the awards statement alone {op['award_statement_s']} s"
