"""Staff in a real browser: a prize table typed on the definition's page, previewed against the final run, saved."""

import datetime

import pytest
from django.utils import timezone

from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run
from prizes.models import LeaderboardPrize
from tests.factories import ChallengeFactory, LeaderboardDefFactory, given_gains

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def board(db):
    """Yesterday's final run of a DAILY board: a and b tied at rank 1, then c, d."""
    today = calendar_period("DAILY", now=timezone.now())
    period = {"period_start": today.start - datetime.timedelta(days=1), "period_end": today.start}
    wins = ChallengeFactory(code="wins", metric_source="pvp", metric_key="wins")
    given_gains(wins, {"a": 9, "b": 9, "c": 7, "d": 5}, period=period)
    board = LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY", max_entries=0)
    generate_final_run("lb_daily", **period)
    return board


def test_staff_type_a_prize_table_preview_it_against_the_final_run_and_save_it(
    live_server, board, staff_page, screenshot
):
    page = staff_page
    page.goto(f"{live_server.url}/admin/leaderboards/leaderboarddef/{board.pk}/change/")
    assert "can pay more than three clusters" in page.content()
    assert page.locator("#id__prize_preview_run option").first.inner_text().startswith("final run")

    page.click("#prizes-group .add-row a")
    page.fill("#id_prizes-0-rank_from", "1")
    page.fill("#id_prizes-0-rank_to", "1")
    page.fill("#id_prizes-0-name", "Gold")
    page.fill("#id_prizes-0-kind", "token")
    page.fill("#id_prizes-0-quantity", "100")
    page.click("button[name=_prize_preview]")
    frame = page.frame_locator("iframe[name=hedge-prize-preview]")
    frame.locator(".hedge-totals, .errornote").first.wait_for(timeout=15_000)
    screenshot("prize-preview")

    # The tie at rank 1 is not split: two clusters, 200 tokens; nothing saved yet.
    assert frame.locator(".hedge-clusters").first.inner_text() == "2"
    assert "200 token" in frame.locator(".hedge-totals").inner_text()
    assert not LeaderboardPrize.objects.exists()

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    screenshot("saved")
    assert list(LeaderboardPrize.objects.values_list("name", "rank_from", "rank_to", "quantity")) == [
        ("Gold", 1, 1, 100)
    ]
