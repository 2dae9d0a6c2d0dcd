"""Staff in a real browser: a league's tiers and a tier's prize table, then a closed period's counts and its awards."""

import datetime

import pytest
from django.utils import timezone

from leaderboards.periods import calendar_period
from leagues.models import LeagueMove, LeaguePeriod
from prizes.models import LeaderboardAward, LeaderboardPrize
from tests.factories import LeaderboardDefFactory, LeaderboardPrizeFactory, LeagueFactory, given_tiers
from tests.leagues.conftest import Race

pytestmark = pytest.mark.django_db(transaction=True)

WEEK = datetime.timedelta(days=7)
# How much wider than the window the document is (0: no horizontal scroll bar at 1366 px).
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def weeks_ago(n: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The WEEKLY period `n` weeks before this one."""
    this_week = calendar_period("WEEKLY", now=timezone.now())
    return this_week.start - n * WEEK, this_week.start - (n - 1) * WEEK


@pytest.fixture
def weekly(wins):
    return LeaderboardDefFactory(key="lb_weekly", challenge=wins, time_window="WEEKLY", max_entries=0)


@pytest.fixture
def league(weekly):
    """Bronze, Silver, Gold over the weekly board, cohorts of 30: one promotes from Bronze and Silver, one demotes."""
    league = LeagueFactory(key="weekly_cups", name="Weekly cups", leaderboard=weekly, cohort_size=30)
    given_tiers(league, [(1, 0), (1, 1), (0, 1)])
    for tier, name in zip(league.tiers.order_by("level"), ["Bronze", "Silver", "Gold"], strict=True):
        tier.name = name
        tier.save()
    return league


def fill_prize_row(page, index: int, rank_from: int, rank_to: int, name: str, quantity: int) -> None:
    page.click("#prizes-group .add-row a")
    page.fill(f"#id_prizes-{index}-rank_from", str(rank_from))
    page.fill(f"#id_prizes-{index}-rank_to", str(rank_to))
    page.fill(f"#id_prizes-{index}-name", name)
    page.fill(f"#id_prizes-{index}-kind", "token")
    page.fill(f"#id_prizes-{index}-quantity", str(quantity))


def test_staff_see_the_tiers_inline_and_type_a_tiers_prize_table_refused_beyond_the_cohort_size(
    live_server, league, staff_page, screenshot
):
    page = staff_page
    silver = league.tiers.get(level=2)
    page.goto(f"{live_server.url}/admin/leagues/league/{league.pk}/change/")
    screenshot("league")
    assert page.evaluate(OVERFLOW) == 0

    tiers = page.locator("#tiers-group")
    assert [tiers.locator(f"#id_tiers-{i}-name").input_value() for i in range(3)] == ["Bronze", "Silver", "Gold"]
    assert tiers.locator("#id_tiers-1-promote_count").input_value() == "1"
    assert tiers.locator("#id_tiers-1-demote_count").input_value() == "1"
    assert tiers.get_by_text("0 rows (change: the tier's page)").count() == 3
    assert "Periods, members and moves" in page.locator(".field-periods").inner_text()

    page.locator("#tiers-1 a.inlinechangelink").click()
    page.wait_for_url(f"**/admin/leagues/leaguetier/{silver.pk}/change/")
    assert page.locator(".field-name .readonly").inner_text() == "Silver"
    assert page.locator("#prizes-group h2").text_content().strip().startswith("Prize table of this tier")

    fill_prize_row(page, 0, 1, 1, "Silver cup", 50)
    fill_prize_row(page, 1, 2, 3, "Silver medal", 20)
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    screenshot("tier-prizes-saved")
    assert page.evaluate(OVERFLOW) == 0

    saved = [(1, 1, "Silver cup", 50), (2, 3, "Silver medal", 20)]
    assert list(silver.prizes.order_by("rank_from").values_list("rank_from", "rank_to", "name", "quantity")) == saved
    assert [page.locator(f"#id_prizes-{i}-name").input_value() for i in range(2)] == ["Silver cup", "Silver medal"]
    assert [page.locator(f"#id_prizes-{i}-rank_to").input_value() for i in range(2)] == ["1", "3"]

    # A rank no cohort of 30 reaches: the form names it, and nothing is saved.
    fill_prize_row(page, 2, 31, 31, "Never won", 5)
    page.click("input[name=_continue]")
    page.wait_for_selector(".errornote")
    screenshot("tier-prize-refused")
    assert page.evaluate(OVERFLOW) == 0

    error = page.locator("#prizes-group .errorlist").inner_text()
    assert error == "A cohort of this league holds at most 30 members: rank 31 never wins."
    assert list(silver.prizes.order_by("rank_from").values_list("rank_from", "rank_to", "name", "quantity")) == saved
    assert not LeaderboardPrize.objects.filter(name="Never won").exists()

    # Back on the league's page, Silver's row counts its two prizes.
    page.goto(f"{live_server.url}/admin/leagues/league/{league.pk}/change/")
    assert page.locator("#tiers-1 .field-prize_rows").inner_text() == "2 rows (change: the tier's page)"


def test_staff_see_a_closed_periods_counts_per_tier_and_its_tier_prize_awards(
    live_server, league, weekly, wins, staff_page, screenshot
):
    page = staff_page
    league.cohort_size = 3
    league.save()
    bronze, silver = league.tiers.get(level=1), league.tiers.get(level=2)
    LeaderboardPrizeFactory(league_tier=bronze, rank_from=1, rank_to=1, name="Bronze cup", kind="token", quantity=10)
    LeaderboardPrizeFactory(league_tier=silver, rank_from=1, rank_to=1, name="Silver cup", kind="token", quantity=50)
    race = Race(weekly, wins)
    # Two weeks ago: 7 newcomers in Bronze, cohorts of 3 (3 + 3 + 1); each cohort's best promotes to Silver.
    first = weeks_ago(2)
    race.gain(first, {"a": 70, "b": 60, "c": 50, "d": 40, "e": 30, "f": 20, "g": 10})
    race.final(first)
    promoted = set(
        LeagueMove.objects.filter(league=league, period_start=first[0], move="PROMOTE").values_list(
            "cluster_id", flat=True
        )
    )
    # Last week: 3 in Silver (one cohort: best promotes, worst demotes), 4 in Bronze plus h, new (3 + 2).
    last = weeks_ago(1)
    race.gain(last, {c: 10 * n for n, c in enumerate("abcdefgh", start=1)})
    final = race.final(last)
    period = LeaguePeriod.objects.get(league=league, period_start=last[0])

    page.goto(f"{live_server.url}/admin/leagues/leagueperiod/{period.pk}/change/")
    screenshot("period")

    rows = page.locator(".field-tiers table tr")
    assert [rows.nth(i).locator("th, td").all_inner_texts() for i in range(rows.count())] == [
        ["level", "members", "cohorts", "promoted", "stayed", "demoted"],
        ["1", "5", "2", "2", "3", "0"],
        ["2", "3", "1", "1", "1", "1"],
    ]
    assert page.locator(".field-closed .readonly").inner_text().startswith(f"from final run {final.pk}")
    assert page.locator(".field-cohorts .readonly").inner_text() == "1-1 (3), 1-2 (2), 2-1 (3)"

    # The awards of last week's final run: one Bronze cup per Bronze cohort, one Silver cup.
    page.goto(f"{live_server.url}/admin/prizes/leaderboardaward/?run_id={final.pk}")
    screenshot("awards")

    winners = dict(
        LeaderboardAward.objects.filter(run_id=final.pk).values_list("cluster_id", "name").order_by("cluster_id")
    )
    assert sorted(winners.values()) == ["Bronze cup", "Bronze cup", "Silver cup"]
    silver_winner = max(promoted, key="abcdefgh".index)  # last week's highest gain among Silver's members
    assert winners[silver_winner] == "Silver cup"
    listed = page.locator("#result_list tbody tr")
    assert listed.count() == 3
    shown = {
        listed.nth(i).locator(".field-cluster_id").inner_text(): listed.nth(i).locator(".field-name").inner_text()
        for i in range(3)
    }
    assert shown == winners
    assert page.locator("#result_list tbody .field-rank").all_inner_texts() == ["1", "1", "1"]
    # The rank is within a cohort: the list says which (league, tier-cohort), as the service API's `league` does.
    assert sorted(page.locator("#result_list tbody .field-league").all_inner_texts()) == [
        "weekly_cups 1-1",
        "weekly_cups 1-2",
        "weekly_cups 2-1",
    ]
