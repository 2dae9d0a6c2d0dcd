"""Staff set up a season pass in a real browser: a curve from a formula (previewed, then saved), rewards, overview."""

import pytest

from seasons.models import SeasonLevel, SeasonReward
from tests.factories import SeasonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_fill_the_curve_from_a_formula_add_rewards_and_see_the_tracks(live_server, staff_page, screenshot):
    page = staff_page
    season = SeasonFactory(id="S1-PASS", name="Pass season", points_per_level=1000)

    # The action on the season list: an intermediate page with the formula.
    page.goto(f"{live_server.url}/admin/seasons/season/")
    page.check(f"input[name=_selected_action][value={season.pk}]")
    page.select_option("select[name=action]", "fill_level_curve")
    page.click("button[name=index]")
    page.wait_for_selector("#fill-level-curve")
    page.check("input[name=formula][value=arithmetic]")
    page.fill("#id_levels", "10")
    page.fill("#id_base", "100")
    page.fill("#id_increment", "50")
    page.click("input[name=preview]")

    # Previewed, nothing saved yet.
    page.wait_for_selector("#curve-preview")
    rows = page.locator("#curve-preview tbody tr")
    assert rows.count() == 10
    assert rows.nth(9).inner_text().split() == ["10", "3250", "550"]
    assert "the last at 3,250 points" in page.inner_text("#content-main")
    assert not SeasonLevel.objects.filter(season=season).exists()
    screenshot("formula-preview")

    page.click("input[name=apply]")
    page.wait_for_selector(".messagelist")
    assert "level curve of 10 levels saved (level 10 at 3,250 points)" in page.inner_text(".messagelist")
    assert list(SeasonLevel.objects.filter(season=season).values_list("points_required", flat=True)) == [
        100,
        250,
        450,
        700,
        1000,
        1350,
        1750,
        2200,
        2700,
        3250,
    ]
    screenshot("curve-saved")

    # A premium reward inline on the season page; the overview shows the tracks by level.
    page.goto(f"{live_server.url}/admin/seasons/season/{season.pk}/change/")
    prefix = "rewards-0"
    page.select_option(f"#id_{prefix}-track", "PREMIUM")
    page.fill(f"#id_{prefix}-level", "3")
    page.fill(f"#id_{prefix}-name", "Gold frame")
    page.fill(f"#id_{prefix}-kind", "badge")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    assert SeasonReward.objects.filter(season=season, track="PREMIUM", level=3, name="Gold frame").exists()
    overview = page.inner_text(".hedge-track-overview")
    assert "Gold frame (badge)" in overview and "450" in overview
    screenshot("tracks-overview")

    # A reward beyond the curve's last level is a form error, and nothing is saved.
    page.select_option("#id_rewards-1-track", "FREE")
    page.fill("#id_rewards-1-level", "11")
    page.fill("#id_rewards-1-name", "Too far")
    page.fill("#id_rewards-1-kind", "badge")
    page.click("input[name=_continue]")
    page.wait_for_selector(".errornote")
    assert "The level curve ends at level 10." in page.inner_text("#rewards-group")
    assert not SeasonReward.objects.filter(name="Too far").exists()
    screenshot("reward-beyond-the-curve")
