"""The admin pages staff reported at 1366 px fit without horizontal scrolling: each is opened, shot and measured.

The season form with its rewards inline, a run page with a wide score histogram, the "Fill the level curve"
page and the regenerate page of a final run. Look at the screenshots (test-screenshots/<test>/).
"""

import datetime
import itertools

import pytest
from django.contrib.admin import helpers
from django.utils import timezone

from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run, generate_leaderboard_run
from tests.factories import (
    LeaderboardDefFactory,
    SeasonFactory,
    SeasonRewardFactory,
    given_curve,
    given_history,
    given_progress,
)

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime.timedelta(days=1)

# How much wider than the window the document is (0: no horizontal scroll bar).
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_season_form_with_its_rewards_inline_fits_1366_px(live_server, staff_page, screenshot):
    season = SeasonFactory(id="S1-LAYOUT", name="Layout season")
    given_curve(season, [100 * level for level in range(1, 11)])
    for level in (1, 5, 10):
        SeasonRewardFactory(
            season=season,
            track="PREMIUM",
            level=level,
            name=f"Legendary weapon skin {level}",
            description="A long description staff typed for the reward, as they do.",
            data={"sku": f"skin-{level}", "rarity": "legendary"},
        )

    staff_page.goto(f"{live_server.url}/admin/seasons/season/S1-LAYOUT/change/")
    staff_page.locator("#rewards-group").scroll_into_view_if_needed()
    screenshot("season-form")

    assert staff_page.evaluate(OVERFLOW) == 0
    table = staff_page.locator("#rewards-group table").bounding_box()
    group = staff_page.locator("#rewards-group").bounding_box()
    assert table["x"] + table["width"] <= group["x"] + group["width"], "the inline's table is wider than its box"


def test_the_run_page_histogram_labels_stand_apart(live_server, staff_page, screenshot, wins):
    LeaderboardDefFactory(key="lb_wide", challenge=wins)
    # Scores over many orders of magnitude: many buckets, labels like "1,000-1,999".
    given_progress(wins, {f"c{n:03d}": 3 ** (n % 14) + n for n in range(120)})
    run = generate_leaderboard_run("lb_wide")

    staff_page.goto(f"{live_server.url}/admin/leaderboards/leaderboardrun/{run.pk}/change/")
    screenshot("run-page")

    assert staff_page.evaluate(OVERFLOW) == 0
    labels = staff_page.evaluate(
        "[...document.querySelectorAll('svg.hedge-chart text.hedge-label')]"
        ".filter(t => t.textContent).map(t => { const b = t.getBoundingClientRect(); return [b.left, b.right]; })"
    )
    assert len(labels) >= 3
    for (_, right), (left, _) in itertools.pairwise(labels):
        assert right < left, "two histogram labels overlap"


def test_the_fill_the_level_curve_page_is_styled_and_fits(live_server, staff_page, screenshot):
    season = SeasonFactory(id="S1-CURVE")

    staff_page.goto(f"{live_server.url}/admin/seasons/season/")
    staff_page.check(f"input[name={helpers.ACTION_CHECKBOX_NAME}][value='{season.pk}']")
    staff_page.select_option("select[name=action]", "fill_level_curve")
    staff_page.click("button[name=index]")
    staff_page.wait_for_selector("#fill-level-curve")
    screenshot("fill-level-curve")

    assert staff_page.evaluate(OVERFLOW) == 0
    # Styled as the admin's forms are: labels in their column, beside their fields (admin/css/forms.css).
    label = staff_page.locator("#fill-level-curve .form-row label").first
    assert staff_page.evaluate("(l) => getComputedStyle(l).width", label.element_handle()) != "auto"
    field = staff_page.locator("#fill-level-curve .form-row").first.locator("input, select").first
    assert abs(label.bounding_box()["y"] - field.bounding_box()["y"]) < 12


def test_the_regenerate_page_shows_the_note_help_under_its_box(live_server, staff_page, screenshot, wins):
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {"alice": 100}, at=today.start - 2 * DAY)
    given_history(wins, {"alice": 105}, at=today.start - DAY / 2)
    LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY")
    run = generate_final_run("lb_daily", period_start=today.start - DAY, period_end=today.start)

    staff_page.goto(f"{live_server.url}/admin/leaderboards/leaderboardrun/{run.pk}/regenerate/")
    screenshot("regenerate")

    assert staff_page.evaluate(OVERFLOW) == 0
    box = staff_page.locator("textarea[name=note]").bounding_box()
    help_box = staff_page.locator(".field-note .help").bounding_box()
    assert help_box["y"] >= box["y"] + box["height"], "the help text is under the box, not around it"
