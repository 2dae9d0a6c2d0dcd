"""A run's page: the score histogram (log buckets), the top 50, and the CSV download of every entry."""

import csv
import io

import pytest
from django.urls import reverse

from leaderboards.admin import charts
from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory, given_progress

pytestmark = pytest.mark.django_db


def bars(run) -> list[tuple[str, int]]:
    return [(bar.label, bar.count) for bar in charts.score_histogram(run)]


def test_scores_are_counted_in_1_2_5_log_buckets_with_the_empty_ones_between(wins):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(challenge=wins))
    for score in [1, 1, 3, 4, 5, 9, 10, 19, 20, 49, 50, 99, 5000]:
        LeaderboardEntryFactory(run=run, score=score)
    LeaderboardEntryFactory(run=LeaderboardRunFactory(leaderboard=run.leaderboard), score=7)  # another run

    assert bars(run) == [
        ("1", 2),
        ("2–4", 2),
        ("5–9", 2),
        ("10–19", 2),
        ("20–49", 2),
        ("50–99", 2),
        ("100–199", 0),
        ("200–499", 0),
        ("500–999", 0),
        ("1,000–1,999", 0),
        ("2,000–4,999", 0),
        ("5,000–9,999", 1),
    ]


def test_zero_scores_have_their_own_bucket_and_big_scores_are_exact(wins):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(challenge=wins))
    for score in [0, 2, 10**17 - 1, 10**17, 2 * 10**17]:
        LeaderboardEntryFactory(run=run, score=score)

    found = dict(bars(run))

    assert (found["0"], found["2–4"]) == (1, 1)
    assert found["50,000,000,000,000,000–99,999,999,999,999,999"] == 1
    assert found["100,000,000,000,000,000–199,999,999,999,999,999"] == 1
    assert found["200,000,000,000,000,000–499,999,999,999,999,999"] == 1


def test_a_run_without_entries_has_no_bars(wins):
    assert charts.score_histogram(LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(challenge=wins))) == []


def test_the_run_page_shows_the_histogram_the_top_50_and_a_download_link(admin_client, wins):
    given_progress(wins, {f"c{n:03d}": n for n in range(1, 80)})
    LeaderboardDefFactory(key="lb_wins", challenge=wins)
    run = generate_leaderboard_run("lb_wins")

    content = admin_client.get(reverse("admin:leaderboards_leaderboardrun_change", args=[run.pk])).content.decode()

    assert '<svg xmlns="http://www.w3.org/2000/svg" class="hedge-chart"' in content
    assert "<title>50–99: 30 entries</title>" in content
    assert content.count("<tr><td>") == 50
    assert f'href="/admin/leaderboards/leaderboardrun/{run.pk}/entries.csv"' in content


def test_the_csv_has_a_header_every_entry_by_position_and_formula_safe_cluster_ids(
    admin_client, wins, django_assert_num_queries
):
    given_progress(wins, {"alice": 30, "=cmd|' /C calc'!A0": 20, "+bob": 20, "@carol": 10, "-dave": 5})
    LeaderboardDefFactory(key="lb_wins", challenge=wins)
    run = generate_leaderboard_run("lb_wins")
    url = reverse("admin:leaderboards_leaderboardrun_entries_csv", args=[run.pk])

    with django_assert_num_queries(3):  # session, user, the run; the entries are read while streaming
        response = admin_client.get(url)
    with django_assert_num_queries(1):  # one query however many entries: a cursor read in chunks
        body = b"".join(response.streaming_content).decode()

    assert response["Content-Disposition"].startswith(f'attachment; filename="lb_wins-run-{run.pk}-19700101T0000Z')
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["position", "rank", "cluster_id", "score", "tiebreaker", "fallback_value", "previous_rank"]
    assert [row[2] for row in rows[1:]] == ["alice", "'+bob", "'=cmd\\|' /C calc'!A0", "'@carol", "'-dave"]
    assert [row[:2] + row[3:] for row in rows[1:3]] == [["1", "1", "30", "0", "", ""], ["2", "2", "20", "0", "", ""]]


def test_the_csv_of_an_unknown_run_is_a_404(admin_client):
    assert admin_client.get("/admin/leaderboards/leaderboardrun/999/entries.csv").status_code == 404


def test_the_entry_list_names_its_leaderboard_and_the_run_period(admin_client, wins):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb_wins", name="Top wins", challenge=wins))

    content = admin_client.get(
        reverse("admin:leaderboards_leaderboardentry_changelist"), {"run__id__exact": run.pk}
    ).content.decode()

    assert f"Entries of lb_wins, run {run.pk}" in content
    assert "Top wins · period 2025-01-01 00:00 UTC – 2025-01-02 00:00 UTC · COMPLETE" in content
