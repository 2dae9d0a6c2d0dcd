"""What a season point and a level are: the one place both are defined, in SQL and in Python.

v1 is the original request's: a cluster earns `value x weight` in each weighted challenge, and
its level is `points // points_per_level`. A later refinement (points from the gain since the
season's baseline, read from challenge_progress_history; a non-linear level curve) replaces the
functions here; callers (the recompute statement, the API) do not change.
"""

from __future__ import annotations


def weighted_points_sql(*, season_param: str = "%(season)s") -> str:
    """A subquery of `(cluster_id, points)` rows: what each weighted challenge earns each cluster.

    A cluster's season points are the SUM of its rows. `season_param` is the placeholder of the
    season id in the enclosing statement.
    """
    return (
        "SELECT p.cluster_id AS cluster_id, p.value * w.weight AS points"
        " FROM challenge_progress p"
        " JOIN challenges c ON c.id = p.challenge_id"
        f" JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = {season_param}"
    )


def level_sql(points_sql: str, points_per_level_sql: str) -> str:
    """The level reached with `points_sql` points, as a SQL expression (integer division, points >= 0)."""
    return f"(({points_sql}) / ({points_per_level_sql}))"


def level_for_points(points: int, points_per_level: int) -> int:
    """The level reached with `points` points; the Python twin of `level_sql`."""
    return points // points_per_level


def next_level_threshold(level: int, points_per_level: int) -> int:
    """The points at which the level after `level` is reached."""
    return (level + 1) * points_per_level
