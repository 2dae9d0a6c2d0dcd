"""Exclusions for the "ranking with exclusions" measurement: seeded, switched on and off, and checked.

Staff exclusions from every leaderboard (leaderboard NULL), as a moderation team would keep them:
one cluster in every `clusters // EXCLUSIONS` by seeded number, at most EXCLUSIONS of them.
Switching them off lifts them (the row stays, as in the product), switching on clears the lift.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from hedge.core.db import binary_collation
from leaderboards.models import Exclusion

from .seeding import cluster_id

# Issue #12: 10,000 active exclusions at 1,000,000 clusters (1%); smaller runs keep the 1%.
EXCLUSIONS = 10_000
REASON = "bench: excluded for the exclusions measurement"
STAFF_USERNAME = "bench-staff"


def count_for(clusters: int) -> int:
    return max(1, min(EXCLUSIONS, clusters // 100))


def seed(*, clusters: int) -> int:
    """Write the exclusions (lifted); return how many."""
    count = count_for(clusters)
    step = clusters // count
    staff, _ = get_user_model().objects.get_or_create(username=STAFF_USERNAME, defaults={"is_staff": True})
    created = timezone.now() - datetime.timedelta(days=1)
    Exclusion.objects.bulk_create(
        (
            Exclusion(
                cluster_id=cluster_id(1 + i * step),
                leaderboard=None,
                reason=REASON,
                created_by=staff,
                created_at=created,
                lifted_at=created + datetime.timedelta(minutes=1),
            )
            for i in range(count)
        ),
        batch_size=2_000,
    )
    return count


def set_active(active: bool) -> None:
    """Switch the benchmark's exclusions on (no lift) or off (lifted a minute after they were made)."""
    exclusions = Exclusion.objects.filter(reason=REASON)
    if active:
        exclusions.update(lifted_at=None, lifted_by=None)
    else:
        exclusions.update(lifted_at=timezone.now() - datetime.timedelta(hours=1))


def expected_with_exclusions_sql() -> str:
    """The entries of the run without exclusions (`%s`), minus every excluded cluster, ranked again (DENSE)."""
    binary = binary_collation()
    return (
        "SELECT k.cluster_id, DENSE_RANK() OVER (ORDER BY k.score DESC, k.tiebreaker DESC) AS rank,"
        f" ROW_NUMBER() OVER (ORDER BY k.score DESC, k.tiebreaker DESC, k.cluster_id{binary}) AS position,"
        " k.score, k.tiebreaker, k.fallback_value"
        " FROM leaderboard_entries k WHERE k.run_id = %s"
        " AND NOT EXISTS (SELECT 1 FROM leaderboard_exclusions x WHERE x.cluster_id = k.cluster_id)"
    )


def differences(*, with_run: int, without_run: int) -> int:
    """Rows that differ, both ways, between the run with exclusions and the run without re-ranked without them."""
    actual = (
        "SELECT a.cluster_id, a.rank, a.position, a.score, a.tiebreaker, a.fallback_value"
        " FROM leaderboard_entries a WHERE a.run_id = %s"
    )
    expected = expected_with_exclusions_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM ({actual} EXCEPT {expected}) a)"
            f" + (SELECT COUNT(*) FROM ({expected} EXCEPT {actual}) b)",
            [with_run, without_run, without_run, with_run],
        )
        return cursor.fetchone()[0]


def remove() -> None:
    """Delete the benchmark's exclusions and what runs recorded of them (the scratch database's only ones)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE leaderboard_run_exclusions, leaderboard_exclusions")
        else:
            cursor.execute("DELETE FROM leaderboard_run_exclusions")
            cursor.execute("DELETE FROM leaderboard_exclusions")
