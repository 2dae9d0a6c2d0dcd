"""Exclusions: clusters kept off a leaderboard, or off every leaderboard and the season pass.

An exclusion is data, never a deletion: it is active from `created_at` until it is lifted or
expires, lifting keeps the row (who, when), and every change is in its history (admin: History).
A generation records the exclusions active when it starts and ranks without them
(leaderboards/sql.py), so a run already published never changes; the next run does.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from hedge.core.audit import current_source
from hedge.core.clusters import cluster_id_problem

from .models import Exclusion, LeaderboardDef


class InvalidExclusion(ValueError):
    """Nothing was excluded: the message names the problem (and the line of a bad cluster id)."""


def active_q(now: datetime.datetime) -> Q:
    """Exclusions in force at `now`: started, not lifted, not expired (the ORM's reading of sql.EXCLUSION_IN_FORCE)."""
    return (
        Q(created_at__lte=now)
        & (Q(lifted_at__isnull=True) | Q(lifted_at__gt=now))
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )


def lifted_q(now: datetime.datetime) -> Q:
    """Lifted by staff (before it would have expired)."""
    return Q(lifted_at__lte=now) & (Q(expires_at__isnull=True) | Q(lifted_at__lt=F("expires_at")))


def expired_q(now: datetime.datetime) -> Q:
    """Ran out on its own (not lifted before it expired)."""
    return Q(expires_at__lte=now) & (Q(lifted_at__isnull=True) | Q(lifted_at__gte=F("expires_at")))


def status_at(now: datetime.datetime) -> Case:
    """ "active", "lifted" or "expired" at `now`, as an annotation: whichever ended it first."""
    return Case(
        When(lifted_q(now), then=Value("lifted")),
        When(expired_q(now), then=Value("expired")),
        default=Value("active"),
    )


def status_of(exclusion: Exclusion, *, now: datetime.datetime) -> str:
    """The stored exclusion's status_at `now`; one query."""
    return Exclusion.objects.filter(pk=exclusion.pk).values_list(status_at(now), flat=True).get()


def parse_cluster_ids(text: str) -> list[str]:
    """The cluster ids of `text`, one per line (blank lines skipped, surrounding spaces dropped, repeats once).

    Raises InvalidExclusion naming every bad line ("line 3: ...") and none is excluded.
    """
    cluster_ids, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        cluster_id = line.strip()
        if not cluster_id:
            continue
        if (problem := cluster_id_problem(cluster_id)) is not None:
            problems.append(f"line {number}: {problem}")
        cluster_ids.append(cluster_id)
    if problems:
        raise InvalidExclusion("; ".join(problems))
    if not cluster_ids:
        raise InvalidExclusion("Give at least one cluster id, one per line.")
    return list(dict.fromkeys(cluster_ids))


def checked_reason(reason: str) -> str:
    """The reason without surrounding spaces; raises InvalidExclusion when there is none."""
    if not reason.strip():
        raise InvalidExclusion("Give the reason for the exclusion.")
    return reason.strip()


def check_expiry(expires_at: datetime.datetime | None, *, now: datetime.datetime) -> None:
    """Raises InvalidExclusion for an expiry that is not after `now` (None: never expires)."""
    if expires_at is not None and expires_at <= now:
        raise InvalidExclusion("An exclusion must expire in the future.")


@dataclass(frozen=True)
class ExcludeResult:
    created: list[Exclusion] = field(default_factory=list)
    # Cluster ids that already had an active exclusion of the same scope: left as they were.
    already_excluded: list[str] = field(default_factory=list)


@transaction.atomic
def exclude_clusters(
    cluster_ids: Iterable[str],
    *,
    leaderboard: LeaderboardDef | None,
    reason: str,
    created_by,
    expires_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> ExcludeResult:
    """Exclude each cluster from `leaderboard` (None: every leaderboard and the season pass), from `now` on.

    A cluster already excluded from the same scope keeps its exclusion (reported, not duplicated).
    Each new exclusion gets a history row by `created_by`. Raises InvalidExclusion (nothing written)
    for a blank reason, a bad cluster id or an expiry that is not after `now`.
    """
    now = now or timezone.now()
    reason = checked_reason(reason)
    check_expiry(expires_at, now=now)
    wanted = list(dict.fromkeys(cluster_ids))
    for cluster_id in wanted:
        if (problem := cluster_id_problem(cluster_id)) is not None:
            raise InvalidExclusion(problem)
    scope = Q(leaderboard=leaderboard) if leaderboard is not None else Q(leaderboard__isnull=True)
    already = set(
        Exclusion.objects.filter(scope, active_q(now), cluster_id__in=wanted).values_list("cluster_id", flat=True)
    )
    new = [
        Exclusion(
            cluster_id=cluster_id,
            leaderboard=leaderboard,
            reason=reason,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
        for cluster_id in wanted
        if cluster_id not in already
    ]
    created = bulk_create_with_history(
        new, Exclusion, default_user=created_by, default_change_reason=current_source() or ""
    )
    return ExcludeResult(created=created, already_excluded=[c for c in wanted if c in already])


@transaction.atomic
def lift_exclusions(exclusions: QuerySet[Exclusion], *, lifted_by, now: datetime.datetime | None = None) -> int:
    """Lift the exclusions of `exclusions` that are still active; returns how many. Lifting keeps the row."""
    now = now or timezone.now()
    # Locked, so two staff lifting at once record one lift; no joins (the admin's list has outer ones).
    lifted = list(exclusions.select_related(None).filter(active_q(now)).select_for_update())
    for exclusion in lifted:
        exclusion.lifted_at, exclusion.lifted_by = now, lifted_by
    bulk_update_with_history(
        lifted,
        Exclusion,
        ["lifted_at", "lifted_by"],
        default_user=lifted_by,
        default_change_reason=current_source() or "",
    )
    return len(lifted)
