"""What the tests share beyond building data (tests/factories.py): reading what the product answered or stored.

Test modules import from here, from factories.py and from the named shared modules (gains_reference.py,
writes_in_flight.py, pg_cluster.py); never from one another.
"""

import datetime
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO

from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection

from hedge.challenges.models import Challenge
from leaderboards.models import LeaderboardEntry
from seasons.models import SeasonProgress

# --- answers ------------------------------------------------------------------------------------


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of each message the admin showed, in order ("success", "warning", "error", "info")."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def cluster_ids(entries) -> list[str]:
    """The clusterId of each entry of an API answer, in order."""
    return [entry["clusterId"] for entry in entries]


def iso(moment: datetime.datetime) -> str:
    """A moment as the API writes it (UTC, "Z")."""
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def run_command(name: str, *args, **options) -> tuple[str, str]:
    """Run management command `name` in-process: its (stdout, stderr). A CommandError is raised as it is."""
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


# --- admin forms ----------------------------------------------------------------------------------


def definition_form(challenge="pvp_wins", fallback="", **fields) -> dict:
    """The definition form's POST body; `challenge` and `fallback` are challenge codes (or objects, or "")."""

    def pk(code):
        if not code:
            return ""
        return code.pk if isinstance(code, Challenge) else Challenge.objects.get(code=code).pk

    values = {
        "key": "lb_pvp_alltime_wins",
        "name": "PvP wins",
        "description": "",
        "is_active": "on",
        "challenge": pk(challenge),
        "fallback_challenge": pk(fallback),
        "time_window": "ALL_TIME",
        "rank_mode": "DENSE",
        "max_entries": "1000",
        # The prize table inline's management form (the prizes app adds it to the page), with no rows.
        "prizes-TOTAL_FORMS": "0",
        "prizes-INITIAL_FORMS": "0",
    }
    return {**values, **fields}


def season_form(season=None, *, weights=(), **changes):
    """The POST body of the season change form, with `weights` as (weight row or None, challenge, weight)."""
    values = {
        "name": "Season",
        "starts_at": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        "ends_at": datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC),
        "is_active": False,
        "points_per_level": 1000,
        "scoring": "GAINS",
    }
    if season is not None:
        values.update({name: getattr(season, name) for name in values})
    values.update(changes)
    data = {
        "name": values["name"],
        "starts_at_0": values["starts_at"].strftime("%Y-%m-%d"),
        "starts_at_1": values["starts_at"].strftime("%H:%M:%S"),
        "ends_at_0": values["ends_at"].strftime("%Y-%m-%d"),
        "ends_at_1": values["ends_at"].strftime("%H:%M:%S"),
        "points_per_level": values["points_per_level"],
        "scoring": values["scoring"],
        "weights-TOTAL_FORMS": len(weights),
        "weights-INITIAL_FORMS": sum(1 for row, _, _ in weights if row is not None),
        "weights-MIN_NUM_FORMS": 0,
        "weights-MAX_NUM_FORMS": 1000,
        # The season pass's inlines (seasons.admin.rewards), left as they are.
        "levels-TOTAL_FORMS": 0,
        "levels-INITIAL_FORMS": 0,
        "rewards-TOTAL_FORMS": 0,
        "rewards-INITIAL_FORMS": 0,
    }
    if season is None:
        data["id"] = changes.get("id", "S-NEW")
    if values["is_active"]:
        data["is_active"] = "on"
    for n, (row, challenge, weight) in enumerate(weights):
        data[f"weights-{n}-id"] = row.pk if row else ""
        data[f"weights-{n}-season"] = season.pk if season else ""
        data[f"weights-{n}-challenge"] = challenge.code
        data[f"weights-{n}-weight"] = weight
    return data


def form_errors_of(response) -> list[str]:
    """Every error message the admin form shows (the form's and the inline formset's)."""
    adminform, formsets = response.context["adminform"], response.context["inline_admin_formsets"]
    found = [str(e) for errors in adminform.form.errors.values() for e in errors]
    for inline in formsets:
        found += [str(e) for e in inline.formset.non_form_errors()]
        found += [str(e) for form_errors in inline.formset.errors for errors in form_errors.values() for e in errors]
    return found


# --- what is stored -----------------------------------------------------------------------------


def standings(run) -> list[tuple]:
    """(position, rank, cluster_id, score, tiebreaker) of every entry of `run`, by position."""
    return list(
        LeaderboardEntry.objects.filter(run=run)
        .order_by("position")
        .values_list("position", "rank", "cluster_id", "score", "tiebreaker")
    )


def season_points(season, *, zero: bool = True) -> dict[str, int]:
    """Each cluster's stored points in `season`; `zero=False` leaves out the clusters with 0 points."""
    rows = SeasonProgress.objects.filter(season=season)
    return dict((rows if zero else rows.exclude(points=0)).values_list("cluster_id", "points"))


def points_and_levels(season) -> dict[str, tuple[int, int]]:
    """Each cluster's stored (points, level) in `season`."""
    return {
        cluster_id: (points, level)
        for cluster_id, points, level in SeasonProgress.objects.filter(season=season).values_list(
            "cluster_id", "points", "level"
        )
    }


# --- statements ---------------------------------------------------------------------------------

# What every ranking statement (leaderboards.sql) starts its work with: writing the run's entries.
RANKING = "INSERT INTO leaderboard_entries"


@contextmanager
def around_statements(
    containing: str, *, before: Callable[[dict], None] | None = None, after: Callable[[dict], None] | None = None
) -> Iterator[None]:
    """Inside the block, call `before(params)` and `after(params)` around each statement whose SQL contains
    `containing`, on this thread's connection (Django's execute_wrapper): to slow a statement down or fail it
    from the outside, the product's functions untouched."""

    def wrapper(execute, sql, params, many, context):
        if containing in sql and before is not None:
            before(params)
        result = execute(sql, params, many, context)
        if containing in sql and after is not None:
            after(params)
        return result

    with connection.execute_wrapper(wrapper):
        yield


def prepared_plans() -> tuple[int, int]:
    """How many times this connection's prepared statements ran a generic plan and a custom one (PostgreSQL).

    Django prepares none of its statements: each one counted is a read of hedge.core.db.prepared_statements_cursor.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(generic_plans), 0), COALESCE(SUM(custom_plans), 0) FROM pg_prepared_statements"
        )
        return cursor.fetchone()


# --- the network --------------------------------------------------------------------------------


def closed_port() -> int:
    """A local TCP port nothing listens on (it was free a moment ago)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]
