"""Awards are written when a final run is published: by rank, ties never split, rows stacked."""

import pytest

from leaderboards.errors import GenerationFailed
from leaderboards.models import LeaderboardRun, RunStatus
from leaderboards.services import generate_due_final_runs, generate_final_run, generate_leaderboard_run
from prizes import signals
from prizes.models import LeaderboardAward
from tests.factories import LeaderboardPrizeFactory, given_gains
from tests.prizes.conftest import awards_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def standings(wins, board, yesterday):
    # DENSE ranks: a 1, b 1, c 2, d 3, e 3, f 4
    given_gains(wins, {"a": 9, "b": 9, "c": 7, "d": 5, "e": 5, "f": 1}, period=yesterday)
    return yesterday


def test_a_rank_range_pays_every_cluster_sharing_its_boundary_rank(board, standings):
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=3, name="Gold")

    run = generate_final_run("lb_daily", **standings)

    assert [(p, r, c) for p, r, c, _, _ in awards_of(run)] == [
        (1, 1, "a"),
        (2, 1, "b"),
        (3, 2, "c"),
        (4, 3, "d"),
        (5, 3, "e"),
    ]


def test_competition_ranks_skip_after_a_tie(board, standings):
    board.rank_mode = "COMPETITION"  # a 1, b 1, c 3, d 4, e 4, f 6
    board.save()
    LeaderboardPrizeFactory(leaderboard=board, rank_from=2, rank_to=4, name="Silver")

    run = generate_final_run("lb_daily", **standings)

    assert [c for _, _, c, _, _ in awards_of(run)] == ["c", "d", "e"]


def test_top_percent_is_every_cluster_ranked_at_or_above_the_boundary_entry(board, standings):
    # ceil(40% x 6) = position 3 (c, rank 2): a, b and c win.
    LeaderboardPrizeFactory(leaderboard=board, top_percent="40", name="Top 40")
    # ceil(50% x 6) = position 3 too; ceil(51% x 6) = position 4 (d, rank 3): its tie e wins as well.
    LeaderboardPrizeFactory(leaderboard=board, top_percent="51", name="Top 51")

    run = generate_final_run("lb_daily", **standings)

    won = {}
    for _, _, cluster, name, _ in awards_of(run):
        won.setdefault(name, []).append(cluster)
    assert won == {"Top 40": ["a", "b", "c"], "Top 51": ["a", "b", "c", "d", "e"]}


def test_rows_stack_and_min_score_holds_back_low_scores(board, standings):
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=1, name="Gold", kind="token", quantity=100)
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=10, name="Badge", kind="badge", min_score=5)

    run = generate_final_run("lb_daily", **standings)

    assert [(c, name) for _, _, c, name, _ in awards_of(run)] == [
        ("a", "Badge"),
        ("a", "Gold"),
        ("b", "Badge"),
        ("b", "Gold"),
        ("c", "Badge"),
        ("d", "Badge"),
        ("e", "Badge"),
    ]


def test_an_award_keeps_a_snapshot_of_the_prize_and_the_standing(board, standings):
    prize = LeaderboardPrizeFactory(leaderboard=board, name="Gold", kind="token", quantity=100, data={"token": "HDG"})

    run = generate_final_run("lb_daily", **standings)
    prize.quantity = 5
    prize.save()

    award = LeaderboardAward.objects.get(cluster_id="a")
    assert (award.run_id, award.leaderboard_key, award.period_start, award.period_end) == (
        run.pk,
        "lb_daily",
        run.period_start,
        run.period_end,
    )
    assert (award.rank, award.position, award.score, award.prize_id) == (1, 1, 9, prize.pk)
    assert (award.name, award.kind, award.quantity, award.data, award.status) == (
        "Gold",
        "token",
        100,
        {"token": "HDG"},
        "PENDING",
    )


def test_a_scheduled_run_awards_nothing(board, standings):
    LeaderboardPrizeFactory(leaderboard=board)

    generate_leaderboard_run("lb_daily")

    assert not LeaderboardAward.objects.exists()


def test_a_board_without_prizes_writes_no_awards_and_announces_none(board, standings):
    heard = []
    signals.awards_created.connect(lambda sender, **kw: heard.append(kw), dispatch_uid="test.heard", weak=False)
    try:
        generate_final_run("lb_daily", **standings)
    finally:
        signals.awards_created.disconnect(dispatch_uid="test.heard")

    assert not LeaderboardAward.objects.exists()
    assert heard == []


def test_awards_created_is_sent_with_the_count_and_totals_per_kind(board, standings):
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=2, name="Gold", kind="token", quantity=100)
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=1, name="Crown", kind="badge", quantity=1)
    heard = []

    def listen(sender, run, count, totals, **kwargs):
        heard.append((run.pk, run.status, count, totals, LeaderboardAward.objects.filter(run_id=run.pk).count()))

    signals.awards_created.connect(listen, dispatch_uid="test.heard")
    try:
        run = generate_final_run("lb_daily", **standings)
    finally:
        signals.awards_created.disconnect(dispatch_uid="test.heard")

    # a, b (rank 1), c (rank 2) win Gold: 300 tokens; a and b the Crown.
    assert heard == [(run.pk, RunStatus.COMPLETE, 5, {"badge": 2, "token": 300}, 5)]


def test_cron_again_and_again_after_the_period_writes_one_set_of_awards(board, standings, yesterday):
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=3)

    made = [generate_due_final_runs("lb_daily").runs for _ in range(3)]

    assert [len(runs) for runs in made] == [1, 0, 0]
    assert LeaderboardAward.objects.count() == 5
    assert set(LeaderboardAward.objects.values_list("run_id", flat=True)) == {made[0][0].pk}


def test_a_final_run_whose_awards_fail_publishes_nothing_and_keeps_the_previous_awards(board, standings, monkeypatch):
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=3)
    first = generate_final_run("lb_daily", **standings)
    before = awards_of(first)

    from prizes import sql

    monkeypatch.setattr(sql, "AWARD", sql.AWARD.replace("e.cluster_id, e.rank", "e.no_such_column, e.rank"))
    with pytest.raises(GenerationFailed):
        generate_final_run("lb_daily", **standings, note="a correction")

    failed = LeaderboardRun.objects.exclude(pk=first.pk).get()
    assert failed.status == RunStatus.FAILED
    first.refresh_from_db()
    assert first.status == RunStatus.COMPLETE
    assert awards_of(first) == before
    assert not LeaderboardAward.objects.filter(run_id=failed.pk).exists()


def test_excluded_clusters_are_never_awarded(board, standings):
    from tests.factories import ExclusionFactory

    ExclusionFactory(cluster_id="a", leaderboard=board)
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=1)

    run = generate_final_run("lb_daily", **standings)

    assert [c for _, _, c, _, _ in awards_of(run)] == ["b"]


def test_deleting_a_prize_row_keeps_its_awards_with_their_snapshot(board, standings):
    prize = LeaderboardPrizeFactory(leaderboard=board, name="Gold", quantity=100)
    generate_final_run("lb_daily", **standings)

    prize.delete()

    award = LeaderboardAward.objects.get(cluster_id="a")
    assert (award.prize_id, award.name, award.quantity, award.status) == (None, "Gold", 100, "PENDING")
