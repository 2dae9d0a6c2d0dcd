import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leaderboards.errors import GenerationFailed, InvalidPeriod, LeaderboardError, NoActiveSeason, NoteRequired
from leaderboards.periods import explicit_period
from leaderboards.selectors import active_definition_keys
from leaderboards.services import generate_due_final_runs, generate_final_run, generate_leaderboard_run


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
        "run: key, run id, status, rows, duration. The period comes from each leaderboard's time window; first, every "
        "period of the window (day, week, month, season) that ended since the leaderboard's last final run gets "
        "its final run, oldest first, from values as of its end (at most LEADERBOARD_FINALS_CATCH_UP of them, the "
        "newest; a line says which older ones were skipped), once no challenge ETL run or import that started "
        "before its end is still writing. With --period-start and --period-end (ISO 8601; a value "
        "without a UTC offset is UTC) the run is for that period: a backfill (served as latest only while the "
        "leaderboard has no scheduled run), or with --final that period's final standings, which replace an "
        "earlier final run of it (marked SUPERSEDED; replacing one needs --note saying why). A second generation "
        "of the same leaderboard waits for the first, so it is safe from cron every few minutes. With --all, a "
        "SEASON leaderboard while no season is active is SKIPPED (printed, not a failure). Exits non-zero when "
        "any leaderboard failed or a key is unknown; the others still run."
    )

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", metavar="KEY", help="leaderboard keys")
        parser.add_argument("--all", action="store_true", dest="every_active", help="every active leaderboard")
        parser.add_argument("--period-start", metavar="ISO", help="explicit period start, e.g. 2025-06-01T00:00:00Z")
        parser.add_argument("--period-end", metavar="ISO", help="explicit period end (exclusive)")
        parser.add_argument("--final", action="store_true", help="the final standings of the explicit (ended) period")
        parser.add_argument("--force", action="store_true", help="also generate named leaderboards that are inactive")
        parser.add_argument(
            "--note",
            default="",
            help="why the run is generated; required with --final when it replaces the period's final run",
        )

    def handle(self, *args, keys, every_active, period_start, period_end, final, force, note, verbosity, **options):
        if every_active and keys:
            raise CommandError("give leaderboard keys or --all, not both")
        if not every_active and not keys:
            raise CommandError("give one or more leaderboard keys, or --all")
        try:
            period = explicit_period(
                _parse_moment("--period-start", period_start), _parse_moment("--period-end", period_end)
            )
        except InvalidPeriod as exc:
            message = str(exc).replace("period_start", "--period-start").replace("period_end", "--period-end")
            raise CommandError(message[0].lower() + message[1:]) from exc
        if final and period is None:
            raise CommandError("--final needs --period-start and --period-end")
        if note.strip() and not final:
            raise CommandError("--note is kept on final runs only: give it with --final")
        if every_active:
            keys = active_definition_keys()
            if not keys and verbosity:
                self.stdout.write("no active leaderboards")

        keys = list(dict.fromkeys(keys))
        failed, skipped = [], []
        for key in keys:
            if verbosity >= 2:
                self.stdout.write(f"{key}: generating...")
            steps = self._steps(key, period=period, final=final, force=force, note=note, verbosity=verbosity)
            for label, step in steps:
                began = time.monotonic()
                try:
                    run = step()
                except NoActiveSeason as exc:
                    if not every_active:
                        failed.append(self._report_failure(key, exc, began))
                        break
                    # Between seasons this is the expected state of every SEASON leaderboard, not an
                    # error: cron must not exit non-zero every few minutes until the next season starts.
                    if verbosity:
                        seconds = time.monotonic() - began
                        self.stdout.write(f"{key:<28} run={'-':<8} {'SKIPPED':<10} rows=0 {seconds:.2f}s  {exc}")
                    skipped.append(key)
                    break
                except (LeaderboardError, DatabaseError) as exc:
                    failed.append(self._report_failure(key, exc, began))
                    break
                if verbosity and run is not None:
                    self._report(key, run, time.monotonic() - began, label)
        if verbosity and len(keys) > 1:
            generated = len(keys) - len(failed) - len(skipped)
            self.stdout.write(
                f"{generated} leaderboard(s) generated, "
                + (f"{len(skipped)} skipped, " if skipped else "")
                + f"{len(failed)} failed"
            )
        if failed:
            raise CommandError(f"{len(failed)} leaderboard(s) failed: {', '.join(failed)}")

    def _report(self, key, run, seconds: float, label: str) -> None:
        self.stdout.write(f"{key:<28} run={run.pk:<8} {run.status:<10} rows={run.row_count} {seconds:.2f}s{label}")

    def _due_finals(self, key, *, force, verbosity) -> None:
        """Cron's catch-up of final runs: a line per final run as it is published, and one for what was skipped."""
        began = time.monotonic()

        def report(run):
            nonlocal began
            if verbosity:
                self._report(key, run, time.monotonic() - began, "  final")
            began = time.monotonic()

        due = generate_due_final_runs(key, force=force, on_run=report)
        if due.skipped and verbosity:
            self.stdout.write(f"{key:<28} {due.skipped_line()}")

    def _steps(self, key, *, period, final, force, note, verbosity):
        """The generations for one key, in order, each as (label printed after its line, call: a run or None)."""
        if period is None:
            return [
                ("", lambda: self._due_finals(key, force=force, verbosity=verbosity)),
                ("", lambda: generate_leaderboard_run(key, force=force)),
            ]
        if final:
            return [
                (
                    "  final",
                    lambda: generate_final_run(
                        key, period_start=period.start, period_end=period.end, force=force, note=note
                    ),
                )
            ]
        return [
            ("", lambda: generate_leaderboard_run(key, period_start=period.start, period_end=period.end, force=force))
        ]

    def _report_failure(self, key: str, exc: Exception, began: float) -> str:
        seconds = time.monotonic() - began
        run_id = exc.run.pk if isinstance(exc, GenerationFailed) else "-"
        hint = " Give it with --note." if isinstance(exc, NoteRequired) else ""
        self.stderr.write(f"{key:<28} run={run_id:<8} FAILED     rows=0 {seconds:.2f}s  {exc}{hint}")
        return key
