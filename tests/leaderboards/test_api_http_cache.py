"""HTTP caching of run reads: ETag, If-None-Match -> 304 without reading entries, Cache-Control, gzip."""

import datetime
import gzip
import json
import re

import pytest
from django.utils import timezone

from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory, given_progress

pytestmark = pytest.mark.django_db

RUN_URLS = {
    "page": "/leaderboards/top_wins/{run}?limit=3",
    "cluster": "/leaderboards/top_wins/{run}/clusters/carol?around=1",
    "clusters": "/leaderboards/top_wins/{run}/clusters?ids=bob,carol",
}


def url(kind: str, run: str) -> str:
    return RUN_URLS[kind].format(run=run)


@pytest.mark.parametrize("kind", list(RUN_URLS))
def test_a_run_read_has_an_etag_that_stays_the_same_while_the_answer_does(api, published, kind):
    first = api.get(url(kind, "latest"))
    second = api.get(url(kind, "latest"))

    assert re.fullmatch(r'"[0-9a-f]{32}"', first["ETag"])
    assert first["ETag"] == second["ETag"]


@pytest.mark.parametrize("kind", list(RUN_URLS))
def test_a_current_etag_is_answered_304_with_no_body_after_the_run_lookup_and_the_names(
    api, published, kind, django_assert_num_queries
):
    etag = api.get(url(kind, "latest"))["ETag"]

    # 1. the latest COMPLETE run 2. the display names shown (issue #24: the ETag covers them, since a name
    # changes without a new run): nothing of its entries is read
    with django_assert_num_queries(2):
        response = api.get(url(kind, "latest"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"].startswith("public, max-age=")


def test_a_weak_etag_from_a_gzip_response_still_matches(api, published):
    compressed = api.get("/leaderboards/top_wins/latest", HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["ETag"].startswith('W/"')

    response = api.get("/leaderboards/top_wins/latest", HTTP_IF_NONE_MATCH=f'"other", {compressed["ETag"]}')

    assert response.status_code == 304


def test_a_stale_etag_gets_the_new_run(api, wins):
    given_progress(wins, {"alice": 1})
    LeaderboardDefFactory(key="lb", challenge=wins)
    generate_leaderboard_run("lb")
    old = api.get("/leaderboards/lb/latest")["ETag"]
    newer = generate_leaderboard_run("lb")

    response = api.get("/leaderboards/lb/latest", HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response.json()["leaderboard"]["runId"] == newer.pk
    assert response["ETag"] != old


def test_the_etag_differs_with_every_parameter(api, published):
    etags = {
        api.get(path)["ETag"]
        for path in [
            "/leaderboards/top_wins/latest",
            "/leaderboards/top_wins/latest?limit=2",
            "/leaderboards/top_wins/latest?limit=2&after=1",
            "/leaderboards/top_wins/latest/clusters/carol",
            "/leaderboards/top_wins/latest/clusters/carol?around=1",
            "/leaderboards/top_wins/latest/clusters/dave",
            "/leaderboards/top_wins/latest/clusters?ids=carol",
            "/leaderboards/top_wins/latest/clusters?ids=carol,dave",
        ]
    }

    assert len(etags) == 8


def test_renaming_the_leaderboard_changes_the_etag(api, published):
    etag = api.get("/leaderboards/top_wins/latest")["ETag"]
    published.leaderboard.name = "PvP wins"
    published.leaderboard.save()

    response = api.get("/leaderboards/top_wins/latest", HTTP_IF_NONE_MATCH=etag)

    assert (response.status_code, response.json()["leaderboard"]["name"]) == (200, "PvP wins")


@pytest.mark.parametrize("kind", list(RUN_URLS))
def test_a_run_by_id_is_never_immutable_since_its_body_shows_the_leaderboard_as_staff_left_it(
    api, published, kind, settings
):
    settings.API_CACHE_SECONDS = 45

    response = api.get(url(kind, f"runs/{published.pk}"))

    assert response["Cache-Control"] == "public, max-age=45"


def test_a_run_by_id_shows_the_leaderboard_s_new_name_once_staff_rename_it(api, published):
    before = api.get(f"/leaderboards/top_wins/runs/{published.pk}")
    published.leaderboard.name = "PvP wins"
    published.leaderboard.save()

    after = api.get(f"/leaderboards/top_wins/runs/{published.pk}", HTTP_IF_NONE_MATCH=before["ETag"])

    assert "immutable" not in before["Cache-Control"]
    assert (after.status_code, after.json()["leaderboard"]["name"]) == (200, "PvP wins")


@pytest.mark.parametrize("kind", list(RUN_URLS))
def test_latest_is_cacheable_for_api_cache_seconds(api, published, kind, settings):
    settings.API_CACHE_SECONDS = 45

    assert api.get(url(kind, "latest"))["Cache-Control"] == "public, max-age=45"


def test_latest_is_never_cached_past_the_board_s_next_reset(api, wins, settings):
    settings.API_CACHE_SECONDS = 10 * 86400
    LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="daily", challenge=wins, time_window="DAILY"))

    response = api.get("/leaderboards/daily/latest")

    max_age = int(response["Cache-Control"].removeprefix("public, max-age="))
    next_reset = datetime.datetime.fromisoformat(response.json()["leaderboard"]["nextResetAt"])
    assert 0 <= max_age <= (next_reset - timezone.now()).total_seconds() + 1
    assert max_age <= 86400


def test_errors_carry_no_cache_headers(api, published):
    response = api.get("/leaderboards/top_wins/latest?limit=0")

    assert response.status_code == 400
    assert not response.has_header("ETag") and not response.has_header("Cache-Control")


def test_json_is_gzip_compressed_for_clients_that_accept_it(api, wins):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), row_count=1000)
    LeaderboardEntryFactory.create_batch(1000, run=run)
    plain = api.get("/leaderboards/lb/latest?limit=1000")

    compressed = api.get("/leaderboards/lb/latest?limit=1000", HTTP_ACCEPT_ENCODING="gzip")

    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert len(compressed.content) < len(plain.content) / 4
    assert json.loads(gzip.decompress(compressed.content)) == plain.json()
    assert not plain.has_header("Content-Encoding")
