from django.core.management.base import BaseCommand, CommandError

from hedge.challenges.services.history import DEFAULT_BATCH, prune_progress_history


class Command(BaseCommand):
    help = (
        "Delete challenge progress history recorded more than --keep-days days ago, keeping every row a gain "
        "still needs: of each cluster and challenge, the newest row before the cutoff and its first row. The "
        "cutoff moves back to the start of any season that is not final yet and of any period whose final run "
        "is still due, so no gain of a kept period changes. Deletes in batches; safe from cron while the ETL runs. "
        "On PostgreSQL, month partitions wholly before the cutoff are dropped (the rows still needed carried out "
        "first), and the month the cutoff falls in stays until it is wholly before it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=int, required=True, metavar="N", help="days of history to keep (>= 1)")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, metavar="ROWS", help="rows per batch")

    def handle(self, *args, keep_days, batch_size, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            result = prune_progress_history(keep_days=keep_days, batch_size=batch_size)
        except ValueError as exc:
            raise CommandError(str(exc).replace("keep_days", "--keep-days")) from exc
        if verbosity:
            self.stdout.write(f"{result.deleted} history rows recorded before {result.cutoff.isoformat()} deleted")
            if result.dropped_partitions:
                self.stdout.write(f"partitions dropped: {', '.join(result.dropped_partitions)}")
