import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from hedge.core.commands import at_least_one
from leaderboards.checksum import verify_runs
from leaderboards.errors import UnknownLeaderboard


class Command(BaseCommand):
    help = (
        "Recompute the checksum of every COMPLETE run (or of the named leaderboards' runs) from its stored entries and "
        "compare it with the checksum stored when the run was published. Prints one line per mismatch: key, run, "
        "stored, computed; then a summary. Exits 1 when any run does not match or a key is unknown. Streams runs "
        "and entries (constant memory); read-only, safe from cron beside generation and pruning."
    )

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", metavar="KEY", help="leaderboard keys (default: every leaderboard)")
        parser.add_argument(
            "--since", type=at_least_one, metavar="DAYS", help="only runs published in the last DAYS days"
        )
        parser.add_argument("--finals", action="store_true", help="only final runs (the standings of ended periods)")

    def handle(self, *args, keys, since, finals, verbosity, **options):
        started = time.monotonic()
        runs = entries = 0
        mismatches = []
        try:
            results = verify_runs(
                list(dict.fromkeys(keys)),
                since=datetime.timedelta(days=since) if since else None,
                finals_only=finals,
            )
            for result in results:
                runs += 1
                entries += result.row_count
                if not result.matches:
                    mismatches.append(result)
                    self.stdout.write(
                        f"MISMATCH {result.leaderboard_key} run {result.run_id}"
                        f" stored={result.stored} computed={result.computed}"
                    )
                elif verbosity >= 2:
                    self.stdout.write(f"ok {result.leaderboard_key} run {result.run_id} ({result.row_count} entries)")
        except UnknownLeaderboard as exc:
            raise CommandError(str(exc)) from exc
        if verbosity:
            self.stdout.write(
                f"{runs} run(s) verified ({entries} entries) in {time.monotonic() - started:.1f} s:"
                f" {len(mismatches)} mismatch(es)"
            )
        if mismatches:
            named = ", ".join(f"{m.leaderboard_key} run {m.run_id}" for m in mismatches)
            raise CommandError(f"{len(mismatches)} run(s) do not match their stored checksum: {named}")
