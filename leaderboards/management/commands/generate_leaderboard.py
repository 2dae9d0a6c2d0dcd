import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leaderboards.errors import GenerationFailed, LeaderboardError, NoActiveSeason
from leaderboards.models import LeaderboardDef
from leaderboards.services import generate_leaderboard_run


def _parse_moment(option: str, raw: str | None):
    if raw is None:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise CommandError(f"{option}: {raw!r} is not an ISO 8601 date-time such as 2025-01-01T00:00:00Z")
    # A value without an offset is taken as UTC, whatever the server's or LEADERBOARD_TIMEZONE's zone.
    return value if timezone.is_aware(value) else value.replace(tzinfo=datetime.UTC)


class Command(BaseCommand):
    help = (
        "Generate a run of each named leaderboard (or, with --all, of every active one) and print one line per "
        "leaderboard: key, run id, status, rows, duration. The period comes from each leaderboard's time window "
        "unless --period-start and --period-end are both given (ISO 8601; a value without a UTC offset is UTC); "
        "such a run is a backfill, served as the latest run only while the leaderboard has no scheduled one. "
        "A second generation of the same leaderboard waits for the first, so it is safe from cron every few "
        "minutes. With --all, a SEASON leaderboard while no season is active is SKIPPED (printed, not a failure). "
        "Exits non-zero when any leaderboard failed or a key is unknown; the others still run."
    )

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", metavar="KEY", help="leaderboard keys")
        parser.add_argument("--all", action="store_true", dest="every_active", help="every active leaderboard")
        parser.add_argument("--period-start", metavar="ISO", help="explicit period start, e.g. 2025-06-01T00:00:00Z")
        parser.add_argument("--period-end", metavar="ISO", help="explicit period end (exclusive)")
        parser.add_argument("--force", action="store_true", help="also generate named leaderboards that are inactive")

    def handle(self, *args, keys, every_active, period_start, period_end, force, verbosity, **options):
        if every_active and keys:
            raise CommandError("give leaderboard keys or --all, not both")
        if not every_active and not keys:
            raise CommandError("give one or more leaderboard keys, or --all")
        start = _parse_moment("--period-start", period_start)
        end = _parse_moment("--period-end", period_end)
        if (start is None) != (end is None):
            raise CommandError("give both --period-start and --period-end, or neither")
        if start is not None and start >= end:
            raise CommandError("--period-start must be before --period-end")
        if every_active:
            keys = list(LeaderboardDef.objects.filter(is_active=True).order_by("key").values_list("key", flat=True))
            if not keys and verbosity:
                self.stdout.write("no active leaderboards")

        keys = list(dict.fromkeys(keys))
        failed, skipped = [], []
        for key in keys:
            if verbosity >= 2:
                self.stdout.write(f"{key}: generating...")
            began = time.monotonic()
            try:
                run = generate_leaderboard_run(key, period_start=start, period_end=end, force=force)
            except NoActiveSeason as exc:
                if not every_active:
                    failed.append(self._report_failure(key, exc, began))
                    continue
                # Between seasons this is the expected state of every SEASON leaderboard, not an
                # error: cron must not exit non-zero every few minutes until the next season starts.
                if verbosity:
                    seconds = time.monotonic() - began
                    self.stdout.write(f"{key:<28} run={'-':<8} {'SKIPPED':<10} rows=0 {seconds:.2f}s  {exc}")
                skipped.append(key)
                continue
            except (LeaderboardError, DatabaseError) as exc:
                failed.append(self._report_failure(key, exc, began))
                continue
            seconds = time.monotonic() - began
            if verbosity:
                self.stdout.write(f"{key:<28} run={run.pk:<8} {run.status:<10} rows={run.row_count} {seconds:.2f}s")
        if verbosity and len(keys) > 1:
            generated = len(keys) - len(failed) - len(skipped)
            self.stdout.write(
                f"{generated} leaderboard(s) generated, "
                + (f"{len(skipped)} skipped, " if skipped else "")
                + f"{len(failed)} failed"
            )
        if failed:
            raise CommandError(f"{len(failed)} leaderboard(s) failed: {', '.join(failed)}")

    def _report_failure(self, key: str, exc: Exception, began: float) -> str:
        seconds = time.monotonic() - began
        run_id = exc.run.pk if isinstance(exc, GenerationFailed) else "-"
        self.stderr.write(f"{key:<28} run={run_id:<8} FAILED     rows=0 {seconds:.2f}s  {exc}")
        return key
