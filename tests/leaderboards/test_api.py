import datetime

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from leaderboards import services
from leaderboards.errors import GenerationFailed
from leaderboards.serializers import LeaderboardEntrySerializer
from leaderboards.services import generate_leaderboard_run, prune_leaderboard_runs
from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory
from tests.leaderboards.conftest import given_progress

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture
def api():
    return APIClient()


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def published(wins, streak):
    """A generated run of `top_wins` over five clusters, tie-broken by streak."""
    given_progress(wins, {"alice": 10, "bob": 10, "carol": 7, "dave": 5, "erin": 1})
    given_progress(streak, {"bob": 3, "alice": 1})
    LeaderboardDefFactory(
        key="top_wins", name="Top wins", description="Most PvP wins.", challenge=wins, fallback=streak
    )
    return generate_leaderboard_run("top_wins")


def test_latest_returns_the_leaderboard_and_its_entries_by_position(api, published):
    response = api.get("/leaderboards/top_wins/latest")

    assert response.status_code == 200
    assert response.json() == {
        "leaderboard": {
            "key": "top_wins",
            "name": "Top wins",
            "description": "Most PvP wins.",
            "timeWindow": "ALL_TIME",
            "periodStart": "1970-01-01T00:00:00Z",
            "periodEnd": iso(published.period_end),
            "runId": published.pk,
            "rowCount": 5,
            "generatedAt": iso(published.finished_at),
        },
        "entries": [
            {
                "rank": 1,
                "position": 1,
                "clusterId": "bob",
                "score": 10,
                "tiebreaker": 3,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": 3},
            },
            {
                "rank": 2,
                "position": 2,
                "clusterId": "alice",
                "score": 10,
                "tiebreaker": 1,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": 1},
            },
            {
                "rank": 3,
                "position": 3,
                "clusterId": "carol",
                "score": 7,
                "tiebreaker": 0,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": None},
            },
            {
                "rank": 4,
                "position": 4,
                "clusterId": "dave",
                "score": 5,
                "tiebreaker": 0,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": None},
            },
            {
                "rank": 5,
                "position": 5,
                "clusterId": "erin",
                "score": 1,
                "tiebreaker": 0,
                "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": None},
            },
        ],
    }


def test_limit_keeps_the_first_positions(api, published):
    response = api.get("/leaderboards/top_wins/latest", {"limit": 2})

    assert [e["clusterId"] for e in response.json()["entries"]] == ["bob", "alice"]
    assert response.json()["leaderboard"]["rowCount"] == 5


def test_a_run_by_id_has_the_same_shape(api, published):
    latest = api.get("/leaderboards/top_wins/latest").json()

    response = api.get(f"/leaderboards/top_wins/runs/{published.pk}")

    assert response.status_code == 200
    assert response.json() == latest


def test_paths_with_a_trailing_slash_are_accepted(api, published):
    assert api.get("/leaderboards/").status_code == 200
    assert api.get("/leaderboards/top_wins/latest/").status_code == 200
    assert api.get(f"/leaderboards/top_wins/runs/{published.pk}/", {"limit": 1}).status_code == 200


def latest_run_id(api, key: str) -> int:
    return api.get(f"/leaderboards/{key}/latest").json()["leaderboard"]["runId"]


def listed_run_id(api, key: str) -> int:
    [listed] = [item for item in api.get("/leaderboards").json() if item["key"] == key]
    return listed["latestRun"]["runId"]


def test_runs_that_are_not_complete_are_never_the_latest(api, wins):
    definition = LeaderboardDefFactory(key="daily_wins", challenge=wins, time_window="DAILY")
    current = LeaderboardRunFactory(leaderboard=definition)
    LeaderboardRunFactory(leaderboard=definition, status="FAILED")
    LeaderboardRunFactory(leaderboard=definition, status="PROCESSING")

    assert latest_run_id(api, "daily_wins") == listed_run_id(api, "daily_wins") == current.pk


def test_the_latest_run_is_the_newest_scheduled_one_even_after_a_time_window_change(api, wins):
    given_progress(wins, {"alice": 1})
    definition = LeaderboardDefFactory(key="wins", challenge=wins, time_window="MONTHLY")
    generate_leaderboard_run("wins")  # its period ends on the 1st of next month
    definition.time_window = "ALL_TIME"
    definition.save()

    all_time = generate_leaderboard_run("wins")  # its period ends now

    assert latest_run_id(api, "wins") == listed_run_id(api, "wins") == all_time.pk


def test_a_backfill_of_a_future_period_does_not_pin_the_latest_run(api, wins):
    LeaderboardDefFactory(key="wins", challenge=wins, time_window="DAILY")
    generate_leaderboard_run(
        "wins",
        period_start=datetime.datetime(2099, 1, 1, tzinfo=UTC),
        period_end=datetime.datetime(2099, 1, 2, tzinfo=UTC),
    )

    scheduled = generate_leaderboard_run("wins")

    assert latest_run_id(api, "wins") == listed_run_id(api, "wins") == scheduled.pk


def test_a_backfill_of_an_old_period_does_not_hide_the_current_run(api, wins):
    LeaderboardDefFactory(key="wins", challenge=wins, time_window="DAILY")
    current = generate_leaderboard_run("wins")

    backfill = generate_leaderboard_run(
        "wins",
        period_start=datetime.datetime(2025, 3, 1, tzinfo=UTC),
        period_end=datetime.datetime(2025, 3, 2, tzinfo=UTC),
    )

    assert (current.is_backfill, backfill.is_backfill) == (False, True)
    assert latest_run_id(api, "wins") == listed_run_id(api, "wins") == current.pk
    assert api.get(f"/leaderboards/wins/runs/{backfill.pk}").status_code == 200


def test_a_leaderboard_with_only_backfills_serves_the_newest_backfill(api, wins):
    definition = LeaderboardDefFactory(key="wins", challenge=wins, time_window="DAILY")
    LeaderboardRunFactory(
        leaderboard=definition, is_backfill=True, period_start=datetime.datetime(2025, 3, 2, tzinfo=UTC)
    )
    newest = LeaderboardRunFactory(
        leaderboard=definition, is_backfill=True, period_start=datetime.datetime(2025, 3, 1, tzinfo=UTC)
    )

    assert latest_run_id(api, "wins") == listed_run_id(api, "wins") == newest.pk


def test_of_two_runs_of_the_same_period_the_later_one_is_latest(api, wins):
    definition = LeaderboardDefFactory(key="daily_wins", challenge=wins, time_window="DAILY")
    LeaderboardRunFactory(leaderboard=definition)
    later = LeaderboardRunFactory(leaderboard=definition)

    assert latest_run_id(api, "daily_wins") == later.pk


def test_latest_still_serves_the_previous_run_after_a_failed_generation(api, published, monkeypatch):
    before = api.get("/leaderboards/top_wins/latest").json()
    monkeypatch.setattr(services, "_score_source_sql", lambda resolved, period: ("SELECT nonsense", []))

    with pytest.raises(GenerationFailed) as raised:
        generate_leaderboard_run("top_wins")

    assert api.get("/leaderboards/top_wins/latest").json() == before
    assert api.get(f"/leaderboards/top_wins/runs/{raised.value.run.pk}").status_code == 404


def test_unknown_and_inactive_leaderboards_are_not_found(api, wins):
    paused = LeaderboardDefFactory(key="paused", challenge=wins, is_active=False)
    run = LeaderboardRunFactory(leaderboard=paused)

    for path in ["/leaderboards/nope/latest", "/leaderboards/paused/latest", f"/leaderboards/paused/runs/{run.pk}"]:
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"].startswith("No active leaderboard"), path


def test_a_leaderboard_without_a_completed_run_says_so(api, wins):
    definition = LeaderboardDefFactory(key="fresh", challenge=wins)
    LeaderboardRunFactory(leaderboard=definition, status="PROCESSING")

    response = api.get("/leaderboards/fresh/latest")

    assert response.status_code == 404
    assert response.json() == {"detail": "Leaderboard 'fresh' has no completed run yet."}


@pytest.mark.parametrize("status", ["PENDING", "PROCESSING", "FAILED"])
def test_a_run_that_is_not_complete_is_not_found(api, wins, status):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), status=status)

    response = api.get(f"/leaderboards/lb/runs/{run.pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"Leaderboard 'lb' has no completed run '{run.pk}'."}


def test_a_run_of_another_leaderboard_is_not_found(api, wins):
    LeaderboardDefFactory(key="mine", challenge=wins)
    theirs = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="theirs", challenge=wins))

    assert api.get(f"/leaderboards/mine/runs/{theirs.pk}").status_code == 404
    assert api.get(f"/leaderboards/theirs/runs/{theirs.pk}").status_code == 200


@pytest.mark.parametrize("run_id", ["abc", "1.5", "-1", "99999999999999999999999"])
def test_a_malformed_run_id_is_not_found(api, wins, run_id):
    LeaderboardDefFactory(key="mine", challenge=wins)

    response = api.get(f"/leaderboards/mine/runs/{run_id}")

    assert response.status_code == 404
    assert "detail" in response.json()


MALFORMED_KEYS = {
    "a%00b": "a\x00b",  # PostgreSQL refuses a NUL byte in text (DataError)
    "k" * 65: "k" * 65,  # longer than any key
    "Top_Wins": "Top_Wins",
    "-wins": "-wins",
    "top.wins": "top.wins",
    "top%20wins": "top wins",
    "wins%0A": "wins\n",
    "%C3%A9t%C3%A9": "\u00e9t\u00e9",
}


@pytest.mark.parametrize("path", ["latest", "runs/1"])
@pytest.mark.parametrize("quoted", list(MALFORMED_KEYS), ids=list(MALFORMED_KEYS.values()))
def test_a_key_no_leaderboard_can_have_is_not_found_without_a_query(api, wins, path, quoted, django_assert_num_queries):
    LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="wins", challenge=wins))

    with django_assert_num_queries(0):
        response = api.get(f"/leaderboards/{quoted}/{path}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"No active leaderboard {MALFORMED_KEYS[quoted]!r}."}


def test_the_longest_possible_key_is_still_looked_up(api, wins):
    LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="k" * 64, challenge=wins))

    assert api.get(f"/leaderboards/{'k' * 64}/latest").status_code == 200


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "abc", "", "1.5", "1e3"])
@pytest.mark.parametrize("path", ["latest", "run"])
def test_a_bad_limit_is_a_400_naming_limit(api, published, limit, path):
    url = "/leaderboards/top_wins/latest" if path == "latest" else f"/leaderboards/top_wins/runs/{published.pk}"

    response = api.get(url, {"limit": limit})

    assert response.status_code == 400
    assert list(response.json()) == ["limit"]


@pytest.mark.parametrize(("limit", "count"), [("1", 1), ("1000", 5), ("3", 3)])
def test_limits_in_range_are_accepted(api, published, limit, count):
    response = api.get("/leaderboards/top_wins/latest", {"limit": limit})

    assert len(response.json()["entries"]) == count


def test_limit_defaults_to_100(api, wins):
    given_progress(wins, {f"cluster-{n:03d}": n for n in range(150)})
    LeaderboardDefFactory(key="big", challenge=wins)
    generate_leaderboard_run("big")

    assert len(api.get("/leaderboards/big/latest").json()["entries"]) == 100


def test_the_list_shows_active_leaderboards_with_their_latest_completed_run(api, published, wins):
    LeaderboardDefFactory(key="paused", challenge=wins, is_active=False)
    LeaderboardDefFactory(key="fresh", name="Fresh", description="", challenge=wins, time_window="DAILY")

    response = api.get("/leaderboards")

    assert response.status_code == 200
    assert response.json() == [
        {"key": "fresh", "name": "Fresh", "description": "", "timeWindow": "DAILY", "latestRun": None},
        {
            "key": "top_wins",
            "name": "Top wins",
            "description": "Most PvP wins.",
            "timeWindow": "ALL_TIME",
            "latestRun": {
                "runId": published.pk,
                "periodStart": "1970-01-01T00:00:00Z",
                "periodEnd": iso(published.period_end),
                "rowCount": 5,
                "generatedAt": iso(published.finished_at),
            },
        },
    ]


# --- cached entries ----------------------------------------------------------------------------


def entry_clusters(api, url: str, **params) -> list[str]:
    return [entry["clusterId"] for entry in api.get(url, params).json()["entries"]]


def test_each_limit_is_served_its_own_entries(api, published):
    url = "/leaderboards/top_wins/latest"

    assert entry_clusters(api, url, limit=2) == ["bob", "alice"]
    assert entry_clusters(api, url, limit=4) == ["bob", "alice", "carol", "dave"]
    assert entry_clusters(api, url, limit=2) == ["bob", "alice"]


def test_a_newly_published_run_is_served_at_once_though_the_previous_one_is_cached(api, wins):
    given_progress(wins, {"alice": 1})
    LeaderboardDefFactory(key="wins", challenge=wins)
    generate_leaderboard_run("wins")
    assert entry_clusters(api, "/leaderboards/wins/latest") == ["alice"]
    given_progress(wins, {"bob": 5})

    newer = generate_leaderboard_run("wins")

    response = api.get("/leaderboards/wins/latest").json()
    assert response["leaderboard"]["runId"] == newer.pk
    assert [entry["clusterId"] for entry in response["entries"]] == ["bob", "alice"]


def test_a_pruned_run_is_not_found_though_its_entries_were_cached(api, wins):
    given_progress(wins, {"alice": 1})
    LeaderboardDefFactory(key="wins", challenge=wins)
    pruned = generate_leaderboard_run("wins")
    kept = generate_leaderboard_run("wins")
    assert entry_clusters(api, f"/leaderboards/wins/runs/{pruned.pk}") == ["alice"]

    prune_leaderboard_runs(keep=1)

    assert api.get(f"/leaderboards/wins/runs/{pruned.pk}").status_code == 404
    assert api.get(f"/leaderboards/wins/runs/{kept.pk}").status_code == 200


def test_a_deactivated_leaderboard_is_not_found_though_its_entries_were_cached(api, published):
    assert api.get("/leaderboards/top_wins/latest").status_code == 200
    published.leaderboard.is_active = False
    published.leaderboard.save()

    assert api.get("/leaderboards/top_wins/latest").status_code == 404
    assert api.get(f"/leaderboards/top_wins/runs/{published.pk}").status_code == 404


def test_a_renamed_leaderboard_shows_its_new_name_at_once(api, published):
    assert api.get("/leaderboards/top_wins/latest").json()["leaderboard"]["name"] == "Top wins"
    published.leaderboard.name = "PvP wins"
    published.leaderboard.save()

    assert api.get("/leaderboards/top_wins/latest").json()["leaderboard"]["name"] == "PvP wins"


def test_a_run_id_that_comes_round_again_is_served_its_own_entries(api, wins):
    # As after restoring an older backup, or on SQLite, where a rolled-back insert frees its id.
    definition = LeaderboardDefFactory(key="lb", challenge=wins)
    gone = LeaderboardRunFactory(leaderboard=definition)
    LeaderboardEntryFactory(run=gone, cluster_id="gone", position=1)
    run_id = gone.pk
    assert entry_clusters(api, f"/leaderboards/lb/runs/{run_id}") == ["gone"]
    gone.entries.all().delete()
    gone.delete()

    reborn = LeaderboardRunFactory(
        id=run_id, leaderboard=definition, finished_at=gone.finished_at + datetime.timedelta(seconds=1)
    )
    LeaderboardEntryFactory(run=reborn, cluster_id="reborn", position=1)

    assert entry_clusters(api, f"/leaderboards/lb/runs/{run_id}") == ["reborn"]


def test_the_entry_serializer_writes_what_its_declared_fields_would():
    entry = {"rank": 2, "position": 3, "cluster_id": "c-1", "score": 10, "tiebreaker": 4, "payload": {"k": [1, None]}}
    serializer = LeaderboardEntrySerializer()

    generic = serializers.Serializer.to_representation(serializer, entry)

    assert list(serializer.to_representation(entry).items()) == list(generic.items())


# --- query counts ------------------------------------------------------------------------------


def test_the_list_runs_one_query_however_many_leaderboards(api, wins, django_assert_num_queries):
    for n in range(5):
        definition = LeaderboardDefFactory(key=f"lb_{n}", challenge=wins)
        LeaderboardRunFactory.create_batch(2, leaderboard=definition)

    with django_assert_num_queries(1):  # the active definitions, each with its latest run as subqueries
        response = api.get("/leaderboards")

    assert len(response.json()) == 5


@pytest.fixture
def twenty_entries(wins):
    """A COMPLETE run of leaderboard `lb` with 20 entries."""
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), row_count=20)
    for position in range(1, 21):
        LeaderboardEntryFactory(run=run, position=position)
    return run


@pytest.mark.parametrize("limit", [1, 1000])
@pytest.mark.parametrize("path", ["latest", "run"])
def test_a_run_costs_two_queries_then_one_whatever_the_limit(
    api, twenty_entries, path, limit, django_assert_num_queries
):
    url = "/leaderboards/lb/latest" if path == "latest" else f"/leaderboards/lb/runs/{twenty_entries.pk}"

    # 1. the (latest) COMPLETE run of the active leaderboard, with its definition; 2. its entries
    with django_assert_num_queries(2):
        first = api.get(url, {"limit": limit})
    # 1. the run again (a newer or deleted run shows at once); its entries come from the cache
    with django_assert_num_queries(1):
        second = api.get(url, {"limit": limit})

    assert len(first.json()["entries"]) == min(limit, 20)
    assert second.content == first.content


def test_the_latest_and_the_same_run_by_id_share_the_cached_entries(api, twenty_entries, django_assert_num_queries):
    latest = api.get("/leaderboards/lb/latest")

    with django_assert_num_queries(1):  # the run; its entries were cached by the request for the latest
        by_id = api.get(f"/leaderboards/lb/runs/{twenty_entries.pk}")

    assert by_id.content == latest.content


def test_not_found_runs_two_queries(api, wins, django_assert_num_queries):
    LeaderboardDefFactory(key="fresh", challenge=wins)

    # 1. no latest COMPLETE run; 2. is there such an active leaderboard at all (for the message)
    with django_assert_num_queries(2):
        assert api.get("/leaderboards/fresh/latest").status_code == 404


@pytest.mark.parametrize(
    ("case", "queries"),
    [
        # 1. no such COMPLETE run of an active leaderboard; 2. is there such an active leaderboard (for the message)
        ("unknown key", 2),
        ("inactive leaderboard", 2),
        ("run not complete", 2),
        ("run of another leaderboard", 2),
        ("no such run", 2),
        # 1. is there such an active leaderboard (a malformed run id is looked up nowhere)
        ("malformed run id", 1),
        # a key no leaderboard can have is looked up nowhere either
        ("malformed key", 0),
    ],
)
def test_every_not_found_run_runs_a_fixed_number_of_queries(api, wins, case, queries, django_assert_num_queries):
    mine = LeaderboardDefFactory(key="mine", challenge=wins)
    paused = LeaderboardDefFactory(key="paused", challenge=wins, is_active=False)
    complete = LeaderboardRunFactory(leaderboard=mine)
    processing = LeaderboardRunFactory(leaderboard=mine, status="PROCESSING")
    theirs = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="theirs", challenge=wins))
    of_paused = LeaderboardRunFactory(leaderboard=paused)
    url = {
        "unknown key": f"/leaderboards/nope/runs/{complete.pk}",
        "inactive leaderboard": f"/leaderboards/paused/runs/{of_paused.pk}",
        "run not complete": f"/leaderboards/mine/runs/{processing.pk}",
        "run of another leaderboard": f"/leaderboards/mine/runs/{theirs.pk}",
        "no such run": "/leaderboards/mine/runs/999999999",
        "malformed run id": "/leaderboards/mine/runs/1%002",
        "malformed key": f"/leaderboards/mi%00ne/runs/{complete.pk}",
    }[case]

    with django_assert_num_queries(queries):
        response = api.get(url, {"limit": 1000})

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("path", ["latest", "runs/1"])
def test_a_bad_limit_is_refused_without_a_query(api, wins, path, django_assert_num_queries):
    LeaderboardDefFactory(key="mine", challenge=wins)

    with django_assert_num_queries(0):
        assert api.get(f"/leaderboards/mine/{path}", {"limit": "0"}).status_code == 400


def test_the_api_schema_documents_the_three_paths(api):
    response = api.get("/api/schema/", {"format": "json"})

    paths = response.json()["paths"]
    assert {"/leaderboards", "/leaderboards/{key}/latest", "/leaderboards/{key}/runs/{runId}"} <= set(paths)
    assert {"200", "400", "404"} <= set(paths["/leaderboards/{key}/latest"]["get"]["responses"])


@pytest.mark.parametrize("path", ["/leaderboards/{key}/latest", "/leaderboards/{key}/runs/{runId}"])
def test_the_api_schema_documents_the_limits_of_limit_and_the_shared_error_body(api, path):
    schema = api.get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"][path]["get"]
    [limit] = [p for p in operation["parameters"] if p["name"] == "limit"]
    assert limit["in"] == "query"
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    not_found = operation["responses"]["404"]["content"]["application/json"]["schema"]
    assert not_found == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["properties"] == {"detail": {"type": "string"}}
