"""The staff console in a real browser at 1366 px: the whole flow a staff member goes through, step by step.

Log in, create a season with weights (preview, save), create a leaderboard by picking its challenge
(preview, save), generate a run, open it with its chart, download its CSV, recompute the season and
see its levels, create a leaderboard of the season's points, and the errors of the invalid cases. Each step
leaves a screenshot.
"""

import csv
import datetime

import pytest
from django.utils import timezone

from hedge.challenges.models import Challenge
from hedge.challenges.services.catalogue import sync_challenge_config
from leaderboards.models import LeaderboardDef, LeaderboardRun
from seasons.models import Season, SeasonProgress
from tests.factories import given_progress

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def game(db):
    """The real catalogue and 40 clusters with PvP wins (a few with a best streak)."""
    sync_challenge_config()
    given_progress(Challenge.objects.get(code="pvp_wins"), {f"cluster-{n:03d}": n * n for n in range(1, 41)})
    given_progress(Challenge.objects.get(code="pvp_best_streak"), {"cluster-040": 9, "cluster-039": 4})


def preview_frame(page):
    page.click("button[name=_preview]")
    frame = page.frame_locator("iframe[name=hedge-preview]")
    frame.locator(".hedge-count, .errornote").first.wait_for(timeout=15_000)
    return frame


def test_a_staff_member_sets_up_a_season_and_a_leaderboard_and_reads_the_results(
    live_server, game, staff_page, screenshot, tmp_path
):
    page = staff_page
    assert page.get_attribute("#user-tools a[href='/api/docs/']", "href") == "/api/docs/"  # "View site"

    # A season with weights, previewed before it is saved.
    now = timezone.now()
    page.goto(f"{live_server.url}/admin/seasons/season/add/")
    page.fill("#id_id", "S1-2026")
    page.fill("#id_name", "Season one")
    page.fill("#id_starts_at_0", (now - datetime.timedelta(days=2)).strftime("%Y-%m-%d"))
    page.fill("#id_starts_at_1", "00:00:00")
    page.fill("#id_ends_at_0", (now + datetime.timedelta(days=30)).strftime("%Y-%m-%d"))
    page.fill("#id_ends_at_1", "00:00:00")
    page.check("#id_is_active")
    page.select_option("#id_scoring", "LIFETIME")
    page.fill("#id_points_per_level", "100")
    page.select_option("#id_weights-0-challenge", label="Arena Champion (pvp_wins)")
    page.fill("#id_weights-0-weight", "3")
    frame = preview_frame(page)
    assert frame.locator(".hedge-count").inner_text() == "40 clusters would have points."
    assert frame.locator("tbody tr").first.inner_text().split() == ["1", "cluster-040", "4800", "48"]
    screenshot("season-weights-preview")
    assert not Season.objects.exists()  # the preview wrote nothing
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert Season.objects.get().weights.get().weight == 3

    # A second active season is refused, naming the active one with a link to it.
    page.goto(f"{live_server.url}/admin/seasons/season/add/")
    page.fill("#id_id", "S2-2026")
    page.fill("#id_name", "Season two")
    page.fill("#id_starts_at_0", "2027-01-01")
    page.fill("#id_starts_at_1", "00:00:00")
    page.fill("#id_ends_at_0", "2027-02-01")
    page.fill("#id_ends_at_1", "00:00:00")
    page.check("#id_is_active")
    page.click("input[name=_save]")
    error = page.locator(".field-is_active .errorlist")
    assert "Season S1-2026 (Season one) is already active" in error.inner_text()
    assert error.locator("a").get_attribute("href") == "/admin/seasons/season/S1-2026/change/"
    screenshot("second-active-season-error")

    # A leaderboard whose challenge is picked by name, previewed, then saved.
    page.goto(f"{live_server.url}/admin/leaderboards/leaderboarddef/add/")
    page.fill("#id_key", "lb_pvp_all_time_wins")
    page.fill("#id_name", "PvP wins, all time")
    page.select_option("#id_challenge", label="Arena Champion (pvp_wins) · pvp_competition")
    page.select_option("#id_fallback_challenge", label="Hero Collector (hero_collector) · hero_progression")
    page.select_option("#id_time_window", "ALL_TIME")
    frame = preview_frame(page)  # a tiebreak from another category: the preview says what to fix
    assert "must be in the challenge's category and metric source" in frame.locator(".errorlist").inner_text()
    screenshot("leaderboard-preview-error")
    page.select_option("#id_fallback_challenge", label="Unbroken (pvp_best_streak) · pvp_competition")
    frame = preview_frame(page)
    assert "40 clusters would be ranked now" in frame.locator(".hedge-count").inner_text()
    assert frame.locator("tbody tr").first.inner_text().split() == ["1", "1", "cluster-040", "1600", "9"]
    screenshot("leaderboard-preview")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    definition = LeaderboardDef.objects.get()
    assert (definition.category_key, definition.metric_key, definition.fallback_metric_key) == (
        "pvp_competition",
        "wins",
        "best_streak",
    )
    screenshot("leaderboard-list")

    # Generate a run with the action; the message keeps the key's case.
    page.check(f"input[name=_selected_action][value='{definition.pk}']")
    page.select_option("select[name=action]", "generate_now")
    page.click("button[name=index]")
    message = page.locator(".messagelist .success").inner_text()
    assert message.startswith("lb_pvp_all_time_wins: run ")
    run = LeaderboardRun.objects.get()

    # The run's page: its histogram and top entries; then its CSV.
    page.goto(f"{live_server.url}/admin/leaderboards/leaderboardrun/{run.pk}/change/")
    assert page.locator("svg.hedge-chart rect.hedge-bar").count() >= 5
    screenshot("run-page-with-chart")
    with page.expect_download() as download_info:
        page.click(".field-entries a.hedge-download")
    path = tmp_path / "entries.csv"
    download_info.value.save_as(path)
    with path.open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["position", "rank", "cluster_id", "score"]
    assert len(rows) == 41 and rows[1][2] == "cluster-040"

    # A period that ends before it starts is a form error on the generate page.
    page.goto(f"{live_server.url}/admin/leaderboards/leaderboarddef/{definition.pk}/generate/")
    page.fill("#id_period_start", "2026-03-02T00:00")
    page.fill("#id_period_end", "2026-03-01T00:00")
    page.click("input[type=submit]")
    assert "must be before period_end" in page.locator(".errornote").inner_text()
    screenshot("generate-for-a-period-error")

    # The season: recompute with its button, then read its standings.
    page.goto(f"{live_server.url}/admin/seasons/season/S1-2026/change/")
    page.click("text=Recompute progress")
    page.wait_for_selector(".messagelist .success")
    assert SeasonProgress.objects.count() == 40
    assert page.locator(".field-level_distribution svg.hedge-chart rect.hedge-bar").count() >= 10
    assert "40" in page.locator(".field-points_percentiles table").inner_text()
    screenshot("season-standings")

    # A leaderboard of the season's points: ticked instead of a challenge, previewed, saved.
    page.goto(f"{live_server.url}/admin/leaderboards/leaderboarddef/add/")
    page.fill("#id_key", "lb_season_points")
    page.fill("#id_name", "Challenge Pass points")
    page.check("#id_season_points")
    page.select_option("#id_time_window", "ALL_TIME")
    frame = preview_frame(page)  # a board of season points ranks one season
    assert "ranks one season: its time window is Season" in frame.locator(".errorlist").inner_text()
    page.select_option("#id_time_window", "SEASON")
    frame = preview_frame(page)
    assert "40 clusters would be ranked now" in frame.locator(".hedge-count").inner_text()  # waits for the new page
    assert "the season points of S1-2026" in frame.locator("p").first.inner_text()
    assert frame.locator("tbody tr").first.inner_text().split() == ["1", "1", "cluster-040", "4800", "0"]
    screenshot("season-points-leaderboard-preview")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert LeaderboardDef.objects.get(key="lb_season_points").metric_source == "season"
