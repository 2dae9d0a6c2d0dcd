from django.core.management.base import BaseCommand, CommandError

from hedge.challenges.etl import FAILED, SKIPPED, run_challenge_etl
from hedge.challenges.extractors import DemoExtractor
from hedge.challenges.models import Challenge
from hedge.challenges.services.locks import ProgressWriteInProgress


class Command(BaseCommand):
    help = (
        "Run the challenge ETL: for each active challenge, the extractor registered for its "
        "metric_source (setting HEDGE_EXTRACTORS) yields (cluster_id, value) rows, which are upserted "
        "into challenge_progress set-based, with history and tiers. Prints one line per challenge. "
        "--demo uses deterministic synthetic extractors instead (no external data needed). "
        "Exits non-zero when any challenge or post-ETL hook failed; the others keep their results. "
        "A run that finds another run (or an import) in progress is skipped (exit 0)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", help="only challenges with this metric_source")
        parser.add_argument("--demo", action="store_true", help="use the demo extractors for every metric source")
        parser.add_argument(
            "--clusters", type=int, default=1000, help="how many clusters the demo extractors produce (default 1000)"
        )
        parser.add_argument("--seed", type=int, default=0, help="seed of the demo extractors (default 0)")

    def handle(self, *args, source, demo, clusters, seed, verbosity, **options):
        extractors = None
        if demo:
            if clusters < 1:
                raise CommandError("--clusters must be at least 1")
            sources = Challenge.objects.values_list("metric_source", flat=True).distinct()
            extractor = DemoExtractor(clusters=clusters, seed=seed)
            extractors = dict.fromkeys(sources, extractor)

        def report(outcome):
            if verbosity == 0 and outcome.status != FAILED:
                return
            r = outcome.result
            line = (
                f"{outcome.code:<20} {outcome.metric_source:<18} {outcome.status:<7} "
                f"inserted={r.inserted} updated={r.updated} unchanged={r.unchanged} {outcome.seconds:.2f}s"
            )
            if outcome.status == FAILED:
                self.stderr.write(f"{line}  {outcome.error}")
            elif outcome.status == SKIPPED:
                self.stdout.write(f"{outcome.code:<20} {outcome.metric_source:<18} skipped ({outcome.error})")
            else:
                self.stdout.write(line)

        try:
            run = run_challenge_etl(source=source, extractors=extractors, on_outcome=report)
        except ProgressWriteInProgress as exc:
            # Normal under cron when a run outlasts its interval: skip this tick, do not fail it.
            if verbosity:
                self.stdout.write(f"skipped: {exc}")
            return
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not run.outcomes:
            self.stdout.write("no active challenges; run sync_challenge_config first")
        total = run.total
        if verbosity:
            self.stdout.write(
                f"{len(run.outcomes)} challenge(s): inserted={total.inserted} updated={total.updated} "
                f"unchanged={total.unchanged}, {len(run.failed)} failed"
            )
        for error in run.hook_errors:
            self.stderr.write(f"post-ETL hook failed: {error}")
        if run.failed or run.hook_errors:
            raise CommandError(f"{len(run.failed)} challenge(s) and {len(run.hook_errors)} hook(s) failed")
