import datetime

import pytest
from django.db import connection

from hedge.challenges.models import ChallengeProgress
from leaderboards.errors import GenerationFailed, InactiveLeaderboard, InvalidDefinition, UnknownLeaderboard
from leaderboards.models import LeaderboardEntry, LeaderboardRun, RunStatus
from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeFactory, LeaderboardDefFactory, given_history, given_progress
from tests.helpers import RANKING, around_statements, standings

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def test_clusters_are_ranked_by_score_with_ties_ranked_densely_and_ordered_by_cluster_id(wins):
    given_progress(wins, {"carol": 7, "bob": 10, "alice": 10, "dave": 5})
    LeaderboardDefFactory(key="top_wins", challenge=wins, rank_mode="DENSE")

    run = generate_leaderboard_run("top_wins")

    assert run.status == RunStatus.COMPLETE
    assert standings(run) == [
        (1, 1, "alice", 10, 0),
        (2, 1, "bob", 10, 0),
        (3, 2, "carol", 7, 0),
        (4, 3, "dave", 5, 0),
    ]
    assert run.row_count == 4


def test_competition_rank_mode_skips_ranks_after_a_tie(wins):
    given_progress(wins, {"carol": 7, "bob": 10, "alice": 10, "dave": 5, "erin": 5})
    LeaderboardDefFactory(key="top_wins", challenge=wins, rank_mode="COMPETITION")

    run = generate_leaderboard_run("top_wins")

    assert [(cluster, rank) for _, rank, cluster, _, _ in standings(run)] == [
        ("alice", 1),
        ("bob", 1),
        ("carol", 3),
        ("dave", 4),
        ("erin", 4),
    ]


def test_the_fallback_metric_breaks_ties_and_a_missing_fallback_value_counts_as_zero(wins, streak):
    given_progress(wins, {"alice": 10, "bob": 10, "carol": 10, "dave": 3})
    given_progress(streak, {"bob": 4, "carol": 4, "alice": 2, "only_streak": 99})
    LeaderboardDefFactory(key="top_wins", challenge=wins, fallback=streak, rank_mode="COMPETITION")

    run = generate_leaderboard_run("top_wins")

    assert standings(run) == [
        (1, 1, "bob", 10, 4),
        (2, 1, "carol", 10, 4),
        (3, 3, "alice", 10, 2),
        (4, 4, "dave", 3, 0),
    ]
    assert run.fallback_challenge == streak


def test_an_entry_carries_the_raw_fallback_value_and_the_run_names_the_challenges(wins, streak):
    given_progress(wins, {"alice": 10, "bob": 3})
    given_progress(streak, {"alice": 0})
    LeaderboardDefFactory(key="top_wins", challenge=wins, fallback=streak)
    LeaderboardDefFactory(key="no_fallback", challenge=wins)

    with_fallback = generate_leaderboard_run("top_wins")
    without = generate_leaderboard_run("no_fallback")

    values = dict(LeaderboardEntry.objects.filter(run=with_fallback).values_list("cluster_id", "fallback_value"))
    assert values == {"alice": 0, "bob": None}
    assert (with_fallback.challenge, with_fallback.fallback_challenge) == (wins, streak)
    assert LeaderboardEntry.objects.get(run=without, cluster_id="alice").fallback_value is None
    assert (without.challenge, without.fallback_challenge) == (wins, None)


def test_only_clusters_with_progress_in_the_challenge_are_ranked(wins, streak):
    given_progress(wins, {"alice": 0})
    given_progress(streak, {"bob": 5})
    LeaderboardDefFactory(key="top_wins", challenge=wins, fallback=streak)

    run = generate_leaderboard_run("top_wins")

    assert standings(run) == [(1, 1, "alice", 0, 0)]


def test_max_entries_keeps_the_first_positions_even_inside_a_tie(wins):
    given_progress(wins, {"alice": 10, "bob": 10, "carol": 10, "dave": 5})
    LeaderboardDefFactory(key="top_wins", challenge=wins, max_entries=2)

    run = generate_leaderboard_run("top_wins")

    assert standings(run) == [(1, 1, "alice", 10, 0), (2, 1, "bob", 10, 0)]
    assert run.row_count == 2


def test_max_entries_cut_keeps_the_same_ranks_as_ranking_everyone(wins):
    values = {f"c{n:02d}": n // 3 for n in range(30)}
    given_progress(wins, values)
    LeaderboardDefFactory(key="everyone", challenge=wins, max_entries=0, rank_mode="COMPETITION")
    LeaderboardDefFactory(key="top_ten", challenge=wins, max_entries=10, rank_mode="COMPETITION")

    everyone = generate_leaderboard_run("everyone")
    top_ten = generate_leaderboard_run("top_ten")

    assert standings(top_ten) == standings(everyone)[:10]
    assert (everyone.row_count, top_ten.row_count) == (30, 10)


def test_max_entries_zero_ranks_every_cluster(wins):
    given_progress(wins, {f"cluster-{n:04d}": n % 17 for n in range(1500)})
    LeaderboardDefFactory(key="everyone", challenge=wins, max_entries=0)

    run = generate_leaderboard_run("everyone")

    assert run.row_count == 1500
    positions = list(LeaderboardEntry.objects.filter(run=run).order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, 1501))
    assert LeaderboardEntry.objects.get(run=run, position=1500).rank == 17


def test_max_entries_above_the_number_of_clusters_keeps_them_all(wins):
    given_progress(wins, {"alice": 2, "bob": 1})
    LeaderboardDefFactory(key="top_wins", challenge=wins, max_entries=1000)

    run = generate_leaderboard_run("top_wins")

    assert run.row_count == 2


def test_a_challenge_without_progress_gives_an_empty_complete_run(wins):
    LeaderboardDefFactory(key="top_wins", challenge=wins)

    run = generate_leaderboard_run("top_wins")

    assert (run.status, run.row_count, standings(run)) == (RunStatus.COMPLETE, 0, [])


def test_a_run_is_stored_complete_with_its_period_and_challenges(wins, streak):
    now = datetime.datetime(2025, 3, 15, 13, 45, tzinfo=UTC)
    given_history(wins, {"bob": 0}, at=now - datetime.timedelta(days=30))  # history began before the day
    given_history(wins, {"alice": 1}, at=now - datetime.timedelta(hours=1))
    LeaderboardDefFactory(key="top_wins", challenge=wins, fallback=streak, time_window="DAILY")

    run = generate_leaderboard_run("top_wins", now=now)

    stored = LeaderboardRun.objects.get(pk=run.pk)
    assert stored.status == RunStatus.COMPLETE
    assert (stored.period_start, stored.period_end) == (
        datetime.datetime(2025, 3, 15, tzinfo=UTC),
        datetime.datetime(2025, 3, 16, tzinfo=UTC),
    )
    assert (stored.challenge, stored.fallback_challenge, stored.row_count) == (wins, streak, 1)
    assert stored.finished_at is not None and stored.error == ""
    assert stored.finished_at >= stored.created_at


def test_an_explicit_period_overrides_the_window(wins):
    LeaderboardDefFactory(key="top_wins", challenge=wins, time_window="MONTHLY")
    start = datetime.datetime(2024, 2, 1, tzinfo=UTC)
    end = datetime.datetime(2024, 3, 1, tzinfo=UTC)

    run = generate_leaderboard_run("top_wins", period_start=start, period_end=end)

    assert (run.period_start, run.period_end) == (start, end)


def test_a_new_run_leaves_the_previous_run_untouched(wins):
    given_progress(wins, {"alice": 1, "bob": 2})
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    first = generate_leaderboard_run("top_wins")
    before = standings(first)
    ChallengeProgress.objects.filter(cluster_id="alice").update(value=5)

    second = generate_leaderboard_run("top_wins")

    assert standings(first) == before == [(1, 1, "bob", 2, 0), (2, 2, "alice", 1, 0)]
    assert standings(second) == [(1, 1, "alice", 5, 0), (2, 2, "bob", 2, 0)]


def test_an_unknown_key_is_refused_and_writes_nothing(wins):
    with pytest.raises(UnknownLeaderboard, match="Unknown leaderboard 'nope'"):
        generate_leaderboard_run("nope")

    assert not LeaderboardRun.objects.exists()


def test_an_inactive_definition_is_refused_unless_forced(wins):
    given_progress(wins, {"alice": 1})
    LeaderboardDefFactory(key="paused", challenge=wins, is_active=False)

    with pytest.raises(InactiveLeaderboard, match="'paused' is inactive"):
        generate_leaderboard_run("paused")
    assert not LeaderboardRun.objects.exists()

    run = generate_leaderboard_run("paused", force=True)
    assert (run.status, run.row_count) == (RunStatus.COMPLETE, 1)


def test_a_definition_that_no_longer_resolves_is_refused_with_the_reason(wins):
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    wins.is_active = False
    wins.save()

    with pytest.raises(InvalidDefinition, match="only to the inactive challenge"):
        generate_leaderboard_run("top_wins")
    assert not LeaderboardRun.objects.exists()


def test_a_failing_generation_is_recorded_failed_keeps_no_entries_and_raises(wins, break_ranking):
    given_progress(wins, {"alice": 1, "bob": 2})
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    previous = generate_leaderboard_run("top_wins")
    break_ranking()

    with pytest.raises(GenerationFailed) as raised:
        generate_leaderboard_run("top_wins")

    failed = LeaderboardRun.objects.get(pk=raised.value.run.pk)
    assert failed.status == RunStatus.FAILED
    assert "no_such_column" in failed.error
    assert failed.finished_at is not None
    assert raised.value.__cause__ is not None
    assert not LeaderboardEntry.objects.filter(run=failed).exists()
    assert LeaderboardRun.objects.get(pk=previous.pk).status == RunStatus.COMPLETE
    assert len(standings(previous)) == 2


def test_a_failure_after_the_entries_are_written_rolls_them_back(wins):
    given_progress(wins, {"alice": 1, "bob": 2})
    LeaderboardDefFactory(key="top_wins", challenge=wins, max_entries=1)
    written = []

    def count_then_fail(params):
        written.append(LeaderboardEntry.objects.filter(run_id=params["run"]).count())
        raise RuntimeError("connection went away")

    with (
        around_statements(RANKING, after=count_then_fail),
        pytest.raises(GenerationFailed, match="RuntimeError: connection went away"),
    ):
        generate_leaderboard_run("top_wins")

    run = LeaderboardRun.objects.get()
    assert written == [1]  # the entry kept (1 of 2 ranked) was written before the failure
    assert (run.status, run.row_count) == (RunStatus.FAILED, 0)
    assert not LeaderboardEntry.objects.exists()


def _statements_of_a_generation(key):
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run = generate_leaderboard_run(key)
    return run, statements


def test_ranking_is_one_insert_select_and_the_statements_do_not_depend_on_the_number_of_clusters(wins, streak):
    few, many = ChallengeFactory(category=wins.category, metric_source="pvp"), wins
    given_progress(few, {"alice": 1, "bob": 2})
    given_progress(many, {f"cluster-{n:04d}": n for n in range(300)})
    given_progress(streak, {f"cluster-{n:04d}": n for n in range(0, 300, 2)})
    LeaderboardDefFactory(key="few", challenge=few, fallback=streak, max_entries=0)
    LeaderboardDefFactory(key="many", challenge=many, fallback=streak, max_entries=0)

    few_run, few_statements = _statements_of_a_generation("few")
    many_run, many_statements = _statements_of_a_generation("many")

    assert (few_run.row_count, many_run.row_count) == (2, 300)
    assert len(few_statements) == len(many_statements)
    inserts = [sql for sql in many_statements if sql.lstrip().upper().startswith("INSERT INTO LEADERBOARD_ENTRIES")]
    assert len(inserts) == 1
    assert "ROW_NUMBER() OVER" in inserts[0]


def test_a_run_with_an_explicit_period_is_a_backfill_and_a_derived_one_is_not(wins):
    LeaderboardDefFactory(key="top_wins", challenge=wins, time_window="DAILY")

    scheduled = generate_leaderboard_run("top_wins")
    backfill = generate_leaderboard_run(
        "top_wins",
        period_start=datetime.datetime(2024, 2, 1, tzinfo=UTC),
        period_end=datetime.datetime(2024, 2, 2, tzinfo=UTC),
    )

    assert LeaderboardRun.objects.get(pk=scheduled.pk).is_backfill is False
    assert LeaderboardRun.objects.get(pk=backfill.pk).is_backfill is True


# Equal scores, so position order is cluster_id order alone: upper case before lower case, and
# ' ' < '-' < '_' by code point, as Python compares strings.
MIXED_IDS = ["cluster-B", "cluster-a", "cluster_a", "Cluster-c", "a b"]


@pytest.mark.parametrize("max_entries", [0, 3])
def test_equal_scores_are_ordered_by_cluster_id_code_points_on_every_database(wins, max_entries):
    given_progress(wins, dict.fromkeys(MIXED_IDS, 7))
    LeaderboardDefFactory(key="top_wins", challenge=wins, max_entries=max_entries)

    run = generate_leaderboard_run("top_wins")

    expected = sorted(MIXED_IDS)[: max_entries or None]
    assert [cluster for _, _, cluster, _, _ in standings(run)] == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="column collations are PostgreSQL's")
@pytest.mark.parametrize("max_entries", [0, 3])
def test_equal_scores_keep_code_point_order_when_the_column_has_a_linguistic_collation(wins, max_entries):
    # A database created with e.g. en_US.UTF-8 orders text linguistically (case and punctuation
    # last), so the server's locale would decide positions. The DDL rolls back with the test.
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE challenge_progress ALTER COLUMN cluster_id TYPE varchar(128) COLLATE "en-US-x-icu"')
    given_progress(wins, dict.fromkeys(MIXED_IDS, 7))
    LeaderboardDefFactory(key="top_wins", challenge=wins, max_entries=max_entries)

    run = generate_leaderboard_run("top_wins")

    expected = sorted(MIXED_IDS)[: max_entries or None]
    assert [cluster for _, _, cluster, _, _ in standings(run)] == expected
