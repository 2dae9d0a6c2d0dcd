"""The audit trail: who changed what, and when (django-simple-history).

Audited models declare `history = HistoricalRecords()`; their admin (SimpleHistoryAdmin) shows
each object's history with the changed fields. A change made in the admin is attributed to the
staff user (simple_history's HistoryRequestMiddleware). A change made by a management command has
no user: it is attributed to the command instead, in the history row's change reason
("command sync_challenge_config"), by commands built on `AuditedCommand`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.management.base import BaseCommand
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

_source: ContextVar[str | None] = ContextVar("hedge_audit_source", default=None)


def current_source() -> str | None:
    """What the changes being made now are attributed to ("command NAME"), or None (a request, a shell)."""
    return _source.get()


@contextmanager
def changes_attributed_to(source: str) -> Iterator[None]:
    """Record `source` as the change reason of every history row written inside the block (unless one is given)."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


@receiver(pre_create_historical_record, dispatch_uid="hedge.core.audit.attribute_history")
def attribute_history(sender, *, history_instance, **kwargs) -> None:
    if not history_instance.history_change_reason and (source := _source.get()):
        history_instance.history_change_reason = source


class AuditedCommand(BaseCommand):
    """A management command whose changes to audited models are attributed to it ("command NAME")."""

    def execute(self, *args, **options):
        name = type(self).__module__.rpartition(".")[2]
        with changes_attributed_to(f"command {name}"):
            return super().execute(*args, **options)
