from django.core.management.base import CommandError

from hedge.challenges.services.catalogue import sync_challenge_config
from hedge.core.audit import AuditedCommand


class Command(AuditedCommand):  # its changes are attributed to it in the audit trail
    help = (
        "Make the challenge catalogue in the database match HEDGE_CHALLENGE_CONFIG "
        "(hedge/challenges/config.py). Idempotent; challenges removed from the config are "
        "deactivated, never deleted."
    )

    def handle(self, *args, verbosity, **options):
        try:
            result = sync_challenge_config()
        except ValueError as exc:
            raise CommandError(f"HEDGE_CHALLENGE_CONFIG is invalid: {exc}") from exc
        if verbosity == 0:
            return
        for item in result.created:
            self.stdout.write(f"created {item}")
        for item in result.updated:
            self.stdout.write(f"updated {item}")
        for code in result.deactivated:
            self.stdout.write(f"deactivated challenge {code}")
        if not result.changed:
            self.stdout.write("no change: the catalogue already matches HEDGE_CHALLENGE_CONFIG")
        else:
            self.stdout.write(
                f"{len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.deactivated)} deactivated, {result.tiers_changed} tier(s) changed, "
                f"{result.unchanged} unchanged"
            )
