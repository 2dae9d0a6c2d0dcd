from bench.cli import FeatureBenchCommand
from bench.profiles import OPERATIONS, run_profiles_benchmark


class Command(FeatureBenchCommand):
    help = (
        "Benchmark the player-centred reads (issue #24) in a scratch database: --clusters clusters on 10 WEEKLY "
        "boards (a run of every cluster each, movers recorded), 52 final runs of 10,000 entries, half the clusters "
        "named. GET /clusters/{id}, /history?limit=52 and /latest/movers?limit=10 through gunicorn, each next to "
        "a bare view of plain SQL (targets: >= 0.8x req/s, p99 <= 1.3x); then the movers design (stored at "
        "generation vs an index query). --keep-database then --database NAME seed once and measure again. "
        "Needs PostgreSQL. Nothing here is a test: no ratio is asserted."
    )
    title = "The profiles benchmark"
    min_clusters = 10_000
    operations = OPERATIONS
    reuses_database = True

    def run_benchmark(self, options, *, log):
        return run_profiles_benchmark(options, log=log)

    def describe(self, op):
        if op["kind"] == "http":
            return (
                f"{op['operation']}: hedge {op['hedge']['rps']} req/s p99 {op['hedge']['p99_ms']} ms, bare "
                f"{op['floor']['rps']} req/s p99 {op['floor']['p99_ms']} ms; ratio {op['ratio']}, p99 ratio "
                f"{op['p99_ratio']} ({op['target']})"
            )
        stored, index = op["stored"], op["index"]
        return (
            f"{op['operation']}: stored {stored['record_at_generation_s']} s at generation, read "
            f"{stored['read']}; index query read {index['read']}, indexes {index['size_bytes']} bytes built "
            f"in {index['build_s_all_runs']} s, a run's entries written in "
            f"{index['insert_run_s_with_indexes']} s with them vs {index['insert_run_s_without']} s without"
        )
