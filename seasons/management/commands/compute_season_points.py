import time

from django.core.management.base import BaseCommand, CommandError

from hedge.challenges.services.locks import ProgressWritesInFlight
from seasons.models import Season
from seasons.selectors import get_active_season
from seasons.services import recompute_clusters, recompute_season


class Command(BaseCommand):
    help = (
        "Recompute season points and levels from challenge progress: every cluster of the season, "
        "or only the clusters given with --cluster. Only rows whose points or level changed are written. "
        "A season that has ended is computed once more, from values as of its end, and is final from then on; "
        "a season that has not started is refused. Exits non-zero when the recompute is refused."
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

    def handle(self, *args, season=None, clusters=None, verbosity=1, **options):
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
            result = recompute_clusters(target, clusters) if clusters else recompute_season(target)
        except (ValueError, ProgressWritesInFlight) as exc:  # a bad cluster id, a season outside its dates
            raise CommandError(str(exc)) from exc
        if verbosity:
            self.stdout.write(f"{result} in {time.perf_counter() - started:.2f}s.")
        if result.failed:
            raise CommandError(
                f"{result.failed} cluster(s) of season {result.season_id} were not written: see season progress errors"
                " in the admin; the next recompute tries them again"
            )
