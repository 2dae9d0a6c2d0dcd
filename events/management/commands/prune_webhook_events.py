from django.core.management.base import BaseCommand, CommandError

from events.services import prune_webhook_events


class Command(BaseCommand):
    help = (
        "Delete delivered and dead webhook deliveries older than --keep-days (with their attempts), then the "
        "events left without deliveries. Pending deliveries are kept whatever their age."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=int, required=True, help="days of finished deliveries to keep")

    def handle(self, *args, keep_days, verbosity, **options):
        if keep_days < 0:
            raise CommandError("--keep-days must be 0 or more")
        result = prune_webhook_events(keep_days=keep_days)
        if verbosity:
            self.stdout.write(
                f"deleted {result.deliveries} deliveries, {result.attempts} attempts, {result.events} events"
            )
