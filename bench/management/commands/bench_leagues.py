from bench.cli import FeatureBenchCommand
from bench.leagues import MEASUREMENTS, run_leagues_benchmark


class Command(FeatureBenchCommand):
    help = (
        "Benchmark the leagues (issue #27) in a scratch database: --clusters clusters ranked on a WEEKLY board "
        "followed by a league of 10 tiers and cohorts of 30. A generation that places them all next to the same "
        "generation without a league plus a plain INSERT ... SELECT of the seats (target <= 1.3x); the final "
        "run with the moves next to the final without a league plus a plain INSERT ... SELECT of the moves "
        "(target <= 1.2x); GET /leagues/{key}/clusters/{id} through gunicorn next to a bare view (>= 0.8x). "
        "Rows are compared before any ratio is reported; --only placement|moves|http measures only those (e.g. "
        "on a kept database, --database NAME). Needs PostgreSQL. Nothing here is a test."
    )
    title = "The leagues benchmark"
    operations = MEASUREMENTS
    reuses_database = True

    def run_benchmark(self, options, *, log):
        return run_leagues_benchmark(options, log=log)
