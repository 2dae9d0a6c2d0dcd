import time

from django.core.management.base import BaseCommand, CommandError

from seasons.models import Season
from seasons.selectors import get_active_season
from seasons.services import recompute_season_points


class Command(BaseCommand):
    help = (
        "Recompute season points and levels from challenge progress: every cluster of the season, "
        "or only the clusters given with --cluster. Only rows whose points or level changed are written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--season", metavar="ID", help="Season id (default: the active season).")
        parser.add_argument(
            "--cluster",
            metavar="ID",
            action="append",
            dest="clusters",
            help="Recompute only this cluster (repeatable). A cluster without progress gets a row with 0 points.",
        )

    def handle(self, *args, season=None, clusters=None, **options):
        if season is None:
            target = get_active_season()
            if target is None:
                raise CommandError("No season is active; name one with --season ID.")
        else:
            target = Season.objects.filter(pk=season).first()
            if target is None:
                raise CommandError(f"Season {season!r} does not exist.")
        started = time.perf_counter()
        try:
            result = recompute_season_points(target, cluster_ids=clusters)
        except ValueError as exc:  # a bad cluster id, or a season that has ended
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Season {result.season_id}: {result.considered} clusters computed, {result.inserted} inserted,"
            f" {result.updated} updated, {result.unchanged} unchanged in {seconds:.2f}s."
        )
