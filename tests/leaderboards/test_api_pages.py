"""Keyset pages of a run: `?limit=&after={position}` on /latest, /runs/{runId} and /finals/previous, and `next`."""

import re

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(wins):
    """A COMPLETE run of leaderboard `lb` with 25 entries, c01..c25 by position."""
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), row_count=25)
    for position in range(1, 26):
        LeaderboardEntryFactory(run=run, position=position, cluster_id=f"c{position:02d}", score=100 - position)
    return run


def positions(body) -> list[int]:
    return [entry["position"] for entry in body["entries"]]


def test_after_starts_the_page_behind_that_position(api, run):
    body = api.get("/leaderboards/lb/latest", {"limit": 3, "after": 10}).json()

    assert positions(body) == [11, 12, 13]
    assert body["entries"][0]["clusterId"] == "c11"


def test_next_is_the_url_of_the_following_page_until_the_last_one(api, run):
    url, pages = "http://testserver/leaderboards/lb/latest?limit=10", []
    while url:
        body = api.get(url).json()
        pages.append(positions(body))
        url = body["next"]

    assert pages == [list(range(1, 11)), list(range(11, 21)), list(range(21, 26))]


@pytest.mark.parametrize("path", ["latest", "runs/{run_id}/", "runs/{run_id}"])
def test_next_pins_the_run_and_next_after_carries_the_cursor(api, run, path):
    body = api.get(f"/leaderboards/lb/{path.format(run_id=run.pk)}", {"limit": 20}).json()

    assert body["next"] == f"http://testserver/leaderboards/lb/runs/{run.pk}?limit=20&after=20"
    assert body["nextAfter"] == 20


def test_a_run_published_between_two_pages_does_not_mix_into_the_download(api, run, wins):
    first = api.get("/leaderboards/lb/latest", {"limit": 20}).json()
    newer = LeaderboardRunFactory(leaderboard=run.leaderboard, row_count=1)
    LeaderboardEntryFactory(run=newer, position=1, cluster_id="new")

    second = api.get(first["next"]).json()

    assert api.get("/leaderboards/lb/latest").json()["leaderboard"]["runId"] == newer.pk
    assert (second["leaderboard"]["runId"], positions(second)) == (run.pk, [21, 22, 23, 24, 25])
    assert (second["next"], second["nextAfter"]) == (None, None)


def test_a_page_that_ends_exactly_at_the_last_entry_has_no_next(api, run):
    body = api.get("/leaderboards/lb/latest", {"limit": 5, "after": 20}).json()

    assert (positions(body), body["next"]) == ([21, 22, 23, 24, 25], None)


def test_after_the_last_position_the_page_is_empty(api, run):
    body = api.get("/leaderboards/lb/latest", {"after": 25}).json()

    assert (body["entries"], body["next"], body["leaderboard"]["rowCount"]) == ([], None, 25)


def test_after_zero_is_the_top(api, run):
    assert api.get("/leaderboards/lb/latest", {"after": 0}).content == api.get("/leaderboards/lb/latest").content


@pytest.mark.parametrize("after", ["1", "24", "2147483647"])
def test_every_page_costs_the_run_and_one_entries_query_then_only_the_run(api, run, after, django_assert_num_queries):
    # 1. the latest COMPLETE run with its definition; 2. the display names of the page (issue #24:
    # profiles.sql.NAMES_OF_PAGE, before the ETag); 3. the page, by the (run, position) index
    with django_assert_num_queries(3):
        first = api.get("/leaderboards/lb/latest", {"after": after, "limit": 2})
    # 1. the run 2. the display names (issue #24: never cached, a name changes without a new run); the page
    # comes from the cache
    with django_assert_num_queries(2):
        second = api.get("/leaderboards/lb/latest", {"after": after, "limit": 2})

    assert second.content == first.content


def test_pages_of_the_same_run_are_cached_apart(api, run):
    assert positions(api.get("/leaderboards/lb/latest", {"limit": 2}).json()) == [1, 2]
    assert positions(api.get("/leaderboards/lb/latest", {"limit": 2, "after": 2}).json()) == [3, 4]


def test_a_page_is_found_by_position_not_by_offset(api, run, django_assert_num_queries):
    # So page 9,000 costs what page 1 costs: the (run, position) index starts right at the position.
    with django_assert_num_queries(3) as queries:  # the run, the display names (issue #24), the page
        api.get("/leaderboards/lb/latest", {"after": 20, "limit": 2})

    [names_sql, page_sql] = [q["sql"] for q in queries.captured_queries if "leaderboard_entries" in q["sql"]]
    # Both statements run prepared on PostgreSQL (logged as sent: their values are bound by the server).
    assert re.search(r"e\.position > (20|\$\d)", names_sql) and "OFFSET" not in names_sql.upper()
    assert re.search(r"e\.position > (20|\$\d)", page_sql) and "OFFSET" not in page_sql.upper()


@pytest.mark.parametrize("after", ["-1", "x", "", "1.0", "\u0663", " 3", "+3", "1_0", "2147483648"], ids=repr)
def test_a_bad_after_is_a_400_naming_after_without_a_query(api, run, after, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api.get("/leaderboards/lb/latest", {"after": after})

    assert response.status_code == 400
    assert list(response.json()) == ["after"]
