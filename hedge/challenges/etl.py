"""The challenge ETL: extractor -> challenge_progress (+ history, tiers) -> post-ETL hook."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from hedge.core.clusters import cluster_id_problem

from .extractors import Extractor, configured_extractors
from .models import MAX_PROGRESS_VALUE, Challenge
from .services.history import create_history_partitions
from .services.locks import exclusive_progress_writes
from .services.upsert import UpsertResult, upsert_progress
from .signals import ProgressChange, etl_challenge_failed, etl_completed, notify_progress_changed

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@dataclass
class ChallengeOutcome:
    code: str
    metric_source: str
    status: str
    result: UpsertResult = field(default_factory=UpsertResult)
    error: str = ""
    seconds: float = 0.0


@dataclass
class EtlRunResult:
    started_at: datetime.datetime
    outcomes: list[ChallengeOutcome] = field(default_factory=list)
    hook_errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ChallengeOutcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    @property
    def total(self) -> UpsertResult:
        return sum((o.result for o in self.outcomes), UpsertResult())


def _checked(rows: Iterable[tuple[str, int]], challenge_id: int) -> Iterable[tuple[str, int, int]]:
    """Extractor rows with readable errors; the database checks the same again (and duplicates)."""
    for cluster_id, value in rows:
        if type(value) is not int:  # bool and float would be stored silently wrong
            kind = type(value).__name__
            raise TypeError(f"extractor yielded {kind} {value!r} for cluster {cluster_id!r}; expected int")
        if value < 0:
            raise ValueError(f"extractor yielded {value} for cluster {cluster_id!r}; values must be non-negative")
        if value > MAX_PROGRESS_VALUE:
            raise ValueError(
                f"extractor yielded {value} for cluster {cluster_id!r}; values must be at most {MAX_PROGRESS_VALUE:,}"
            )
        if problem := cluster_id_problem(cluster_id):
            raise ValueError(f"extractor yielded a bad row: {problem}")
        yield cluster_id, challenge_id, value


def run_challenge_etl(
    *,
    source: str | None = None,
    extractors: Mapping[str, Extractor] | None = None,
    now: datetime.datetime | None = None,
    on_outcome: Callable[[ChallengeOutcome], None] | None = None,
) -> EtlRunResult:
    """Refresh challenge_progress of the active challenges (of metric source `source`, if given).

    One transaction per challenge: a failing one is rolled back and reported, one without an extractor
    skipped. Changed rows are stamped with the run's start; `progress_changed` is sent once, at the end.
    Raises ProgressWriteInProgress at once while another run or an import is writing.
    """
    with exclusive_progress_writes():
        return _run(source=source, extractors=extractors, now=now, on_outcome=on_outcome)


def _run(*, source, extractors, now, on_outcome) -> EtlRunResult:
    started_at = now or timezone.now()
    create_history_partitions(now=started_at)  # its rows' month gets its partition before they are written
    extractors = configured_extractors() if extractors is None else extractors
    challenges = Challenge.objects.filter(is_active=True).order_by("metric_source", "code")
    if source is not None:
        challenges = challenges.filter(metric_source=source)
        if not challenges.exists():
            raise ValueError(f"no active challenge has metric source {source!r}")

    run = EtlRunResult(started_at=started_at)
    for challenge in challenges:
        outcome = ChallengeOutcome(code=challenge.code, metric_source=challenge.metric_source, status=OK)
        extractor = extractors.get(challenge.metric_source)
        tick = time.perf_counter()
        if extractor is None:
            outcome.status = SKIPPED
            outcome.error = f"no extractor registered for metric source {challenge.metric_source!r}"
        else:
            try:
                with transaction.atomic():
                    outcome.result = upsert_progress(_checked(extractor(challenge), challenge.id), now=started_at)
            except Exception as exc:  # noqa: BLE001 - one extractor failing must not lose the others
                outcome.status, outcome.error = FAILED, f"{type(exc).__name__}: {exc}"
                with transaction.atomic():
                    etl_challenge_failed.send(sender=run_challenge_etl, outcome=outcome, started_at=started_at)
        outcome.seconds = time.perf_counter() - tick
        run.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    changed = frozenset(o.code for o in run.outcomes if o.result.changed)
    if changed:
        change = ProgressChange(source="etl", changed_since=started_at, challenge_codes=changed)
        run.hook_errors = notify_progress_changed(run_challenge_etl, change)
    with transaction.atomic():
        etl_completed.send(sender=run_challenge_etl, result=run)
    return run
