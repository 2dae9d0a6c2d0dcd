import datetime

from django.core.management.base import BaseCommand, CommandError

from hedge.core.commands import at_least_one
from leaderboards.errors import UnknownLeaderboard
from leaderboards.services import DEFAULT_KEEP, prune_leaderboard_runs


class Command(BaseCommand):
    help = (
        "Delete old runs of each leaderboard (or only the named ones) with their entries. Of each leaderboard "
        f"it keeps the N latest COMPLETE runs in the latest-run order (default {DEFAULT_KEEP}; so the run the API "
        "serves as latest always stays), the N newest FAILED runs, every run still in progress, and every final run "
        "(the standings of an ended period) unless --finals-older-than DAYS lets those whose period ended more than "
        "DAYS days ago go. Prints one line "
        "per leaderboard: key, runs deleted, entries deleted. Safe from cron; it waits for a generation of the same "
        "leaderboard that is publishing. Exits non-zero when a key is unknown (the others are still pruned)."
    )

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", metavar="KEY", help="leaderboard keys (default: every leaderboard)")
        parser.add_argument(
            "--keep", type=at_least_one, default=DEFAULT_KEEP, metavar="N", help="COMPLETE runs to keep, at least 1"
        )
        parser.add_argument(
            "--finals-older-than",
            type=at_least_one,
            metavar="DAYS",
            help="also delete final runs whose period ended more than DAYS days ago (default: keep every final run)",
        )

    def handle(self, *args, keys, keep, finals_older_than, verbosity, **options):
        unknown, results = [], []
        finals_age = datetime.timedelta(days=finals_older_than) if finals_older_than else None
        for key in dict.fromkeys(keys) if keys else [None]:
            try:
                results += prune_leaderboard_runs(keep=keep, leaderboard_key=key, finals_older_than=finals_age)
            except UnknownLeaderboard as exc:
                self.stderr.write(f"{key:<28} {exc}")
                unknown.append(key)
        if verbosity:
            for result in results:
                self.stdout.write(
                    f"{result.leaderboard_key:<28} runs deleted={result.runs_deleted}"
                    f" entries deleted={result.entries_deleted}"
                    + (f" abandoned runs failed={result.runs_abandoned}" if result.runs_abandoned else "")
                )
            if len(results) > 1:
                runs = sum(r.runs_deleted for r in results)
                entries = sum(r.entries_deleted for r in results)
                self.stdout.write(f"{len(results)} leaderboard(s) pruned: {runs} runs, {entries} entries deleted")
        if unknown:
            raise CommandError(f"unknown leaderboard(s): {', '.join(unknown)}")
