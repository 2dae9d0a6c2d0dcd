import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from hedge.core.audit import AuditedCommand
from hedge.demo.services import ensure_demo_leaderboards, ensure_demo_season, ensure_demo_superuser, run_demo_etl


class Command(AuditedCommand):  # its changes are attributed to it in the audit trail
    help = (
        "Set hedge up with demo data and serve it: migrate, sync the challenge catalogue, run the "
        "challenge ETL with the demo extractors, create an active demo season and a leaderboard for "
        "every time window, generate every leaderboard, compute season progress, create a superuser "
        "'admin' with a random password (printed once), then run the development server. Running it "
        "again reuses what exists. Meant for a local SQLite database with DEBUG=true."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--clusters", type=int, default=10_000, help="clusters the demo ETL produces (default 10000)"
        )
        parser.add_argument("--no-serve", action="store_true", help="set everything up, then exit (for scripts)")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve (default 127.0.0.1:8000)")

    def handle(self, *args, clusters, no_serve, addrport, verbosity, **options):
        if clusters < 1:
            raise CommandError("--clusters must be at least 1")
        self.verbosity = verbosity
        quiet = {"verbosity": max(verbosity - 1, 0)}
        started = time.perf_counter()

        with self.step("migrating the database"):
            call_command("migrate", interactive=False, **quiet)
        with self.step("syncing the challenge catalogue"):
            call_command("sync_challenge_config", **quiet)
        with self.step("creating the demo season"):
            outcome = ensure_demo_season()
            self.say(f"   season {outcome.season.id}: {'created' if outcome.created else 'reused'}", 1)
            if outcome.note:
                self.say(f"   {outcome.note}", 1)
        with self.step(f"running the challenge ETL with the demo extractors for {clusters:,} clusters"):
            runs = run_demo_etl(clusters=clusters)
            self.say(f"   {len(runs)} run(s) (a day each on a new database, for a history)", 1)
            errors = [error for run in runs for error in [*(o.error for o in run.failed), *run.hook_errors]]
            if errors:
                raise CommandError(f"the demo ETL failed: {errors[0]}")
        with self.step("creating the demo leaderboards"):
            created, existing = ensure_demo_leaderboards()
            self.say(f"   {len(created)} created, {len(existing)} reused", 1)
        with self.step("generating every active leaderboard"):
            call_command("generate_leaderboard", "--all", verbosity=verbosity)
        with self.step("computing season progress"):
            call_command("compute_season_points", "--season", outcome.season.id, verbosity=verbosity)
        with self.step("creating the staff superuser"):
            password = ensure_demo_superuser()

        base = f"http://{addrport}"
        lines = [
            f"hedge is ready ({time.perf_counter() - started:.1f}s).",
            f"  admin:        {base}/admin/",
            f"  API:          {base}/leaderboards  ·  {base}/seasons/active",
            f"  API docs:     {base}/api/docs/   (schema: {base}/api/schema/)",
        ]
        if password:
            lines.append(f"  login:        admin / {password}   (shown only this once)")
        else:
            lines.append("  login:        admin (existing account; reset with: python manage.py changepassword admin)")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

        if no_serve:
            return
        if not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING("DEBUG is off: collecting static files so the admin and API docs are styled.")
            )
            call_command("collectstatic", interactive=False, verbosity=0)
        call_command("runserver", addrport, use_reloader=False)

    def say(self, message: str, level: int) -> None:
        if self.verbosity >= level:
            self.stdout.write(message)

    @contextmanager
    def step(self, what: str):
        self.say(f"-> {what}", 1)
        tick = time.perf_counter()
        yield
        self.say(f"   done in {time.perf_counter() - tick:.2f}s", 2)
