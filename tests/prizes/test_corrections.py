"""A superseded final run: PENDING awards voided and re-awarded, SETTLED kept (listed when no longer entitled)."""

import pytest

from leaderboards.services import generate_final_run
from prizes.models import AwardStatus, LeaderboardAward
from prizes.selectors import paid_no_longer_entitled
from prizes.services import settle_award
from tests.factories import APIKeyFactory, ExclusionFactory, LeaderboardPrizeFactory, given_gains

pytestmark = pytest.mark.django_db


@pytest.fixture
def first(wins, board, yesterday):
    """The first final run: a 9, b 7, c 5, d 3; Gold for rank 1, Silver for ranks 1..2."""
    given_gains(wins, {"a": 9, "b": 7, "c": 5, "d": 3}, period=yesterday)
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=1, name="Gold", quantity=100)
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=2, name="Silver", quantity=10)
    return generate_final_run("lb_daily", **yesterday)


def correct(board, yesterday, *, exclude: str):
    """A correction: `exclude` is kept off the board, and the period's final run is regenerated."""
    ExclusionFactory(cluster_id=exclude, leaderboard=board)
    return generate_final_run("lb_daily", **yesterday, note=f"{exclude} cheated")


def award(run, cluster, name) -> LeaderboardAward:
    return LeaderboardAward.objects.get(run_id=run.pk, cluster_id=cluster, name=name)


def won(run) -> list[tuple]:
    return list(
        LeaderboardAward.objects.filter(run_id=run.pk).order_by("position", "name").values_list("cluster_id", "name")
    )


def test_a_correction_voids_the_pending_awards_and_awards_the_new_standings(board, yesterday, first):
    second = correct(board, yesterday, exclude="a")

    assert set(LeaderboardAward.objects.filter(run_id=first.pk).values_list("status", "voided_by_run_id")) == {
        (AwardStatus.VOID, second.pk)
    }
    assert won(second) == [("b", "Gold"), ("b", "Silver"), ("c", "Silver")]


def test_a_settled_award_stays_settled_and_is_listed_when_no_longer_entitled(board, yesterday, first):
    paid = settle_award(award(first, "a", "Gold").pk, reference="0xa", api_key=APIKeyFactory()).award

    second = correct(board, yesterday, exclude="a")

    paid.refresh_from_db()
    assert (paid.status, paid.reference, paid.disentitled_by_run_id) == (AwardStatus.SETTLED, "0xa", second.pk)
    assert list(paid_no_longer_entitled()) == [paid]
    # b is rank 1 now and wins Gold: staff decide about a's.
    assert ("b", "Gold") in won(second)


def test_a_cluster_entitled_under_both_keeps_its_settled_award_and_gets_no_second_one(board, yesterday, first):
    key = APIKeyFactory()
    paid = settle_award(award(first, "b", "Silver").pk, reference="0xb", api_key=key).award

    second = correct(board, yesterday, exclude="a")

    paid.refresh_from_db()
    assert (paid.status, paid.disentitled_by_run_id) == (AwardStatus.SETTLED, None)
    assert won(second) == [("b", "Gold"), ("c", "Silver")]
    assert not paid_no_longer_entitled().exists()


def test_totals_add_up_after_a_correction(board, yesterday, first):
    key = APIKeyFactory()
    settle_award(award(first, "a", "Gold").pk, reference="0x1", api_key=key)
    settle_award(award(first, "b", "Silver").pk, reference="0x2", api_key=key)

    second = correct(board, yesterday, exclude="a")

    # Entitled now: b Gold, b Silver, c Silver. Paid for: a Gold (no longer entitled), b Silver (still).
    period = LeaderboardAward.objects.filter(leaderboard_key="lb_daily", period_start=first.period_start)
    owed = period.filter(status=AwardStatus.PENDING)
    entitled_and_paid = period.filter(status=AwardStatus.SETTLED, disentitled_by_run_id__isnull=True)
    assert sorted(owed.values_list("cluster_id", "name")) == [("b", "Gold"), ("c", "Silver")]
    assert sorted(entitled_and_paid.values_list("cluster_id", "name")) == [("b", "Silver")]
    assert set(owed.values_list("run_id", flat=True)) == {second.pk}
    # The first run's three awards: two settled, the third (a Silver) void.
    assert list(period.filter(status=AwardStatus.VOID).values_list("cluster_id", "name")) == [("a", "Silver")]
    # What the new standings entitle (b Gold 100, b Silver 10, c Silver 10) = owed + paid and still entitled.
    quantity = sum(owed.values_list("quantity", flat=True)) + sum(entitled_and_paid.values_list("quantity", flat=True))
    assert quantity == 100 + 10 + 10


def test_a_later_correction_that_entitles_the_cluster_again_clears_the_mark(board, yesterday, first, wins):
    paid = settle_award(award(first, "a", "Gold").pk, reference="0xa", api_key=APIKeyFactory()).award
    second = correct(board, yesterday, exclude="a")
    exclusion = board.exclusions.get(cluster_id="a")
    exclusion.lifted_at = exclusion.created_at
    exclusion.save()

    third = generate_final_run("lb_daily", **yesterday, note="a was cleared")

    paid.refresh_from_db()
    assert paid.disentitled_by_run_id is None
    assert won(third) == [("a", "Silver"), ("b", "Silver")]  # a's Gold is paid already
    assert set(LeaderboardAward.objects.filter(run_id=second.pk).values_list("status", flat=True)) == {"VOID"}
