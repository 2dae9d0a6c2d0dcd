from django.core.management.base import BaseCommand, CommandError

from hedge.challenges.services.history import DEFAULT_MONTHS_AHEAD, create_history_partitions


class Command(BaseCommand):
    help = (
        "Create the month partitions of challenge_progress_history from this month to --months-ahead months "
        "later (PostgreSQL; on SQLite history is one table and nothing is created). Rows the DEFAULT partition "
        "holds for a new month move into it. Safe to run from cron at any interval; the ETL and the import "
        "create the current month's partition themselves."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--months-ahead",
            type=int,
            default=DEFAULT_MONTHS_AHEAD,
            metavar="N",
            help=f"months after this one to create (default {DEFAULT_MONTHS_AHEAD})",
        )

    def handle(self, *args, months_ahead, verbosity, **options):
        if months_ahead < 0:
            raise CommandError("--months-ahead must be at least 0")
        created = create_history_partitions(months_ahead=months_ahead)
        if verbosity:
            self.stdout.write(
                f"{len(created)} history partitions created" + (f": {', '.join(created)}" if created else "")
            )
