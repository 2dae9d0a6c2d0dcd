"""Exclusions keep a cluster off a board: never ranked, positions contiguous, ranks computed without it;
a published run never changes, the next run follows lifts and expiries."""

import datetime

import pytest
from django.db import connection

from hedge.core.db import sql_datetime
from leaderboards import sql
from leaderboards.exclusions import InvalidExclusion, active_q, exclude_clusters, lift_exclusions
from leaderboards.models import Exclusion, RunExclusion
from leaderboards.periods import derive_period
from leaderboards.services import generate_leaderboard_run
from tests.factories import ExclusionFactory, LeaderboardDefFactory, SeasonFactory, StaffUserFactory, given_history
from tests.helpers import standings

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)
WINDOWS = ["ALL_TIME", "DAILY", "WEEKLY", "MONTHLY", "SEASON"]
# bob ties alice and erin at the top: excluding him must not leave a gap in positions, and under
# competition ranking carol is 3rd (two clusters ahead of her), not 4th as she would be with him.
SCORES = {"alice": 10, "bob": 10, "erin": 10, "carol": 7, "dave": 5}


@pytest.fixture
def staff():
    return StaffUserFactory(username="moderator")


def given_board(wins, window: str, *, rank_mode: str = "DENSE", key: str = "lb"):
    """A board of `window` over SCORES: current values (ALL_TIME) or gains inside the period at NOW."""
    if window == "SEASON":
        SeasonFactory(is_active=True, starts_at=NOW - 4 * 24 * HOUR, ends_at=NOW + 20 * 24 * HOUR)
    if window == "ALL_TIME":
        given_history(wins, SCORES, at=NOW - HOUR)
    else:
        given_history(wins, dict.fromkeys(SCORES, 1), at=derive_period(window, now=NOW).start - HOUR)
        given_history(wins, {cluster: 1 + score for cluster, score in SCORES.items()}, at=NOW - HOUR)
    return LeaderboardDefFactory(key=key, challenge=wins, time_window=window, rank_mode=rank_mode, max_entries=0)


def excluded(cluster_id: str, *, leaderboard=None, **fields) -> Exclusion:
    return ExclusionFactory(cluster_id=cluster_id, leaderboard=leaderboard, created_at=NOW - 2 * HOUR, **fields)


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize(
    ("rank_mode", "ranks"), [("DENSE", [1, 1, 2, 3]), ("COMPETITION", [1, 1, 3, 4])], ids=["DENSE", "COMPETITION"]
)
def test_an_excluded_cluster_is_not_ranked_and_the_others_close_ranks_without_it(wins, window, rank_mode, ranks):
    board = given_board(wins, window, rank_mode=rank_mode)
    excluded("bob")

    run = generate_leaderboard_run(board.key, now=NOW)

    assert standings(run) == [
        (1, ranks[0], "alice", 10, 0),
        (2, ranks[1], "erin", 10, 0),
        (3, ranks[2], "carol", 7, 0),
        (4, ranks[3], "dave", 5, 0),
    ]
    assert (run.row_count, run.exclusions_applied) == (4, 1)


@pytest.mark.parametrize("window", WINDOWS)
def test_an_exclusion_from_one_board_leaves_the_cluster_on_the_others(wins, window):
    board = given_board(wins, window)
    other = LeaderboardDefFactory(key="other", challenge=wins, time_window=window, max_entries=0)
    excluded("carol", leaderboard=other)
    excluded("dave", leaderboard=board)

    ranked = [row[2] for row in standings(generate_leaderboard_run(board.key, now=NOW))]
    ranked_on_other = [row[2] for row in standings(generate_leaderboard_run(other.key, now=NOW))]

    assert ranked == ["alice", "bob", "erin", "carol"]
    assert ranked_on_other == ["alice", "bob", "erin", "dave"]


def test_the_run_records_which_exclusions_it_applied(wins):
    board = given_board(wins, "ALL_TIME")
    everywhere, here = excluded("bob"), excluded("dave", leaderboard=board)
    excluded("carol", leaderboard=LeaderboardDefFactory(key="other", challenge=wins))
    excluded("erin", lifted_at=NOW - HOUR, lifted_by=everywhere.created_by)

    run = generate_leaderboard_run(board.key, now=NOW)

    applied = set(RunExclusion.objects.filter(run=run).values_list("exclusion_id", flat=True))
    assert applied == {everywhere.pk, here.pk}
    assert run.exclusions_applied == 2


def test_a_published_run_does_not_change_when_a_cluster_is_excluded_the_next_run_does(wins, staff):
    board = given_board(wins, "ALL_TIME")
    before = generate_leaderboard_run(board.key, now=NOW)

    exclude_clusters(["alice"], leaderboard=None, reason="Botting.", created_by=staff, now=NOW + HOUR)
    after = generate_leaderboard_run(board.key, now=NOW + 2 * HOUR)

    assert [row[2] for row in standings(before)] == ["alice", "bob", "erin", "carol", "dave"]
    assert [row[2] for row in standings(after)] == ["bob", "erin", "carol", "dave"]


@pytest.mark.parametrize("window", WINDOWS)
def test_lifting_an_exclusion_ranks_the_cluster_again_from_the_next_run(wins, window, staff):
    board = given_board(wins, window)
    exclusion = excluded("bob")
    while_excluded = generate_leaderboard_run(board.key, now=NOW)

    lifted = lift_exclusions(Exclusion.objects.filter(pk=exclusion.pk), lifted_by=staff, now=NOW + HOUR)
    again = generate_leaderboard_run(board.key, now=NOW + 2 * HOUR)

    assert lifted == 1
    assert "bob" not in [row[2] for row in standings(while_excluded)]
    assert [row[2] for row in standings(again)] == ["alice", "bob", "erin", "carol", "dave"]
    exclusion.refresh_from_db()
    assert (exclusion.lifted_at, exclusion.lifted_by) == (NOW + HOUR, staff)  # kept, not deleted


def test_an_exclusion_applies_until_it_expires(wins):
    board = given_board(wins, "ALL_TIME")
    excluded("bob", expires_at=NOW + HOUR)

    before = generate_leaderboard_run(board.key, now=NOW + HOUR - datetime.timedelta(seconds=1))
    after = generate_leaderboard_run(board.key, now=NOW + HOUR)

    assert "bob" not in [row[2] for row in standings(before)]
    assert "bob" in [row[2] for row in standings(after)]
    assert after.exclusions_applied == 0


def test_a_top_n_board_stays_full_when_a_cluster_in_it_is_excluded(wins):
    board = given_board(wins, "ALL_TIME")
    board.max_entries = 3
    board.save()
    excluded("alice")

    run = generate_leaderboard_run(board.key, now=NOW)

    assert [row[:3] for row in standings(run)] == [(1, 1, "bob"), (2, 1, "erin"), (3, 2, "carol")]


# --- the services --------------------------------------------------------------------------------


def test_excluding_several_clusters_skips_those_already_excluded_from_the_same_scope(wins, staff):
    board = LeaderboardDefFactory(key="lb", challenge=wins)
    excluded("bob")
    excluded("carol", leaderboard=board)

    result = exclude_clusters(["alice", "bob", "carol", "alice"], leaderboard=None, reason="Ring.", created_by=staff)

    assert [e.cluster_id for e in result.created] == ["alice", "carol"]
    assert result.already_excluded == ["bob"]
    assert Exclusion.objects.filter(cluster_id="alice").count() == 1
    assert {e.created_by for e in result.created} == {staff}


@pytest.mark.parametrize(
    ("cluster_ids", "options", "message"),
    [
        (["ok", " "], {}, "blank"),
        (["ok", "x" * 129], {}, "128"),
        (["ok"], {"reason": "  "}, "Give the reason"),
        (["ok"], {"expires_at": NOW}, "must expire in the future"),
    ],
    ids=["blank id", "long id", "blank reason", "expiry not after now"],
)
def test_a_bad_exclusion_is_refused_and_nothing_is_written(staff, cluster_ids, options, message):
    arguments = {"leaderboard": None, "reason": "Ring.", "created_by": staff, "now": NOW, **options}

    with pytest.raises(InvalidExclusion, match=message):
        exclude_clusters(cluster_ids, **arguments)

    assert not Exclusion.objects.exists()
    assert not Exclusion.history.exists()


def test_lifting_skips_exclusions_that_are_no_longer_active(staff):
    active, expired = excluded("a"), excluded("b", expires_at=NOW - HOUR)

    assert lift_exclusions(Exclusion.objects.all(), lifted_by=staff, now=NOW) == 1

    active.refresh_from_db()
    expired.refresh_from_db()
    assert (active.lifted_by, expired.lifted_by) == (staff, None)


def test_the_orm_and_the_ranking_statements_agree_on_which_exclusions_are_in_force():
    # exclusions.active_q (the admin, exclude/lift) and sql.EXCLUSION_IN_FORCE (every generation) read one rule.
    moments = [None, NOW - HOUR, NOW, NOW + HOUR]
    for created in [NOW - 2 * HOUR, NOW, NOW + HOUR]:
        for lifted in moments:
            for expires in moments:
                if expires is None or expires > created:
                    ExclusionFactory(created_at=created, lifted_at=lifted, expires_at=expires)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT x.id FROM leaderboard_exclusions x WHERE {sql.EXCLUSION_IN_FORCE}", {"now": sql_datetime(NOW)}
        )
        in_force = {row[0] for row in cursor.fetchall()}

    assert set(Exclusion.objects.filter(active_q(NOW)).values_list("id", flat=True)) == in_force
    assert 0 < len(in_force) < Exclusion.objects.count()
