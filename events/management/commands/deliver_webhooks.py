import signal

from django.core.management.base import BaseCommand, CommandError

from events.delivery import Worker, run_worker


class Command(BaseCommand):
    help = (
        "Deliver webhook events until stopped (SIGTERM or Ctrl-C: the batch being sent is finished first). "
        "On PostgreSQL it wakes within a second of a commit that wrote deliveries (LISTEN/NOTIFY) and also "
        "polls every --poll-seconds; on SQLite it polls. Several workers may run at once on PostgreSQL. "
        "--once delivers what is due now and exits (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
        parser.add_argument(
            "--poll-seconds", type=float, default=5.0, help="longest wait between looks for due deliveries (default 5)"
        )

    def handle(self, *args, once, poll_seconds, verbosity, **options):
        if poll_seconds <= 0:
            raise CommandError("--poll-seconds must be more than 0")
        worker = Worker()
        try:
            if once:
                self._report(worker.deliver_due(), verbosity)
                return
            stopping = []

            def stop(signum, frame):
                stopping.append(signum)

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            if verbosity:
                self.stdout.write(f"delivering webhooks (poll every {poll_seconds:g} s); SIGTERM stops")
            run_worker(
                worker,
                poll_seconds=poll_seconds,
                should_stop=lambda: bool(stopping),
                on_batch=lambda result: self._report(result, verbosity - 1),
            )
        finally:
            worker.close()

    def _report(self, result, verbosity):
        if verbosity > 0:
            self.stdout.write(
                f"attempted={result.attempted} delivered={result.delivered} failed={result.failed} dead={result.dead}"
            )
