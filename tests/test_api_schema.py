"""The OpenAPI document is valid, complete, and tells the truth about every response, public and service.

What client generators need of it (ids, enums, nullability, security) is tested in test_api_schema_for_clients.py;
schemathesis fuzzes the APIs against it (tests/hedge/test_schemathesis.py).
"""

import datetime
import functools

import jsonschema
import pytest
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from leaderboards.periods import calendar_period
from tests.factories import (
    APIKeyFactory,
    LeaderboardAwardFactory,
    LeaderboardDefFactory,
    LeaderboardEntryFactory,
    LeaderboardPrizeFactory,
    LeaderboardRunFactory,
    LeagueFactory,
    LeagueMemberFactory,
    LeagueMoveFactory,
    LeaguePeriodFactory,
    LeagueTierFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    """One of everything, so every documented response can be produced for real."""
    season = SeasonFactory(id="S1-2025", is_active=True)
    SeasonProgressFactory(season=season, cluster_id="c1", points=2500, level=2)
    SeasonChallengeWeightFactory(season=season, weight=3)
    definition = LeaderboardDefFactory(key="lb_wins")
    run = LeaderboardRunFactory(leaderboard=definition, row_count=2)
    LeaderboardEntryFactory(run=run, cluster_id="c1", position=1, rank=1, score=10, previous_rank=2)
    LeaderboardEntryFactory(run=run, cluster_id="c2", position=2, rank=2, score=5)
    LeaderboardDefFactory(key="lb_empty")
    daily = LeaderboardDefFactory(key="lb_daily", time_window="DAILY")
    today = calendar_period("DAILY", now=timezone.now())
    final = LeaderboardRunFactory(  # yesterday's: finals/previous serves the period just before today only
        leaderboard=daily,
        is_final=True,
        period_start=today.start - datetime.timedelta(days=1),
        period_end=today.start,
        row_count=1,
    )
    LeaderboardEntryFactory(run=final, cluster_id="c1", position=1, rank=1, score=3, fallback_value=None)
    prize = LeaderboardPrizeFactory(leaderboard=daily, rank_from=1, rank_to=3, min_score=1, data={"token": "HDG"})
    LeaderboardPrizeFactory(leaderboard=daily, top_percent="0.5")
    award = LeaderboardAwardFactory(
        run_id=final.pk, leaderboard_key="lb_daily", cluster_id="c1", position=1, prize=prize
    )
    league = LeagueFactory(key="lg_daily", leaderboard=daily)
    LeagueTierFactory(league=league, level=1, promote_count=1)
    LeagueTierFactory(league=league, level=2, promote_percent="10", demote_count=1)
    placed = {"league": league, "period_start": final.period_start, "cluster_id": "c1"}
    LeaguePeriodFactory(league=league, period_start=final.period_start, period_end=final.period_end)
    LeagueMemberFactory(**placed)
    LeagueMoveFactory(**placed, score=3, move="PROMOTE")
    return {"season": season, "run": run, "final": final, "award": award}


def response_schema(schema, path, status):
    operation = schema["paths"][path]["get"]
    assert str(status) in operation["responses"], f"GET {path} does not document a {status} response"
    body = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    # References point into #/components, so validate against a document that carries them.
    return {**body, "components": schema["components"]}


# (documented path, real URL, status) for every response each public endpoint can give.
CASES = [
    ("/leaderboards", "/leaderboards", 200),
    ("/leaderboards/{key}/latest", "/leaderboards/lb_wins/latest?limit=1", 200),
    ("/leaderboards/{key}/latest", "/leaderboards/lb_wins/latest?limit=0", 400),
    ("/leaderboards/{key}/latest", "/leaderboards/lb_wins/latest?after=x", 400),
    ("/leaderboards/{key}/latest", "/leaderboards/nope/latest", 404),
    ("/leaderboards/{key}/latest", "/leaderboards/lb_empty/latest", 404),
    ("/leaderboards/{key}/latest/clusters/{clusterId}", "/leaderboards/lb_wins/latest/clusters/c1?around=1", 200),
    ("/leaderboards/{key}/latest/clusters/{clusterId}", "/leaderboards/lb_wins/latest/clusters/nobody", 200),
    ("/leaderboards/{key}/latest/clusters/{clusterId}", "/leaderboards/lb_wins/latest/clusters/c1?around=51", 400),
    ("/leaderboards/{key}/latest/clusters/{clusterId}", "/leaderboards/lb_empty/latest/clusters/c1", 404),
    ("/leaderboards/{key}/latest/clusters", "/leaderboards/lb_wins/latest/clusters?ids=c2,nobody,c1", 200),
    ("/leaderboards/{key}/latest/clusters", "/leaderboards/lb_wins/latest/clusters?ids=", 400),
    ("/leaderboards/{key}/latest/clusters", "/leaderboards/nope/latest/clusters?ids=c1", 404),
    ("/leaderboards/{key}/runs/{runId}", "/leaderboards/lb_wins/runs/{run_id}?after=1", 200),
    ("/leaderboards/{key}/runs/{runId}", "/leaderboards/lb_wins/runs/{run_id}?limit=x", 400),
    ("/leaderboards/{key}/runs/{runId}", "/leaderboards/lb_empty/runs/{run_id}", 404),
    ("/leaderboards/{key}/runs/{runId}/clusters/{clusterId}", "/leaderboards/lb_wins/runs/{run_id}/clusters/c2", 200),
    ("/leaderboards/{key}/runs/{runId}/clusters/{clusterId}", "/leaderboards/lb_wins/runs/{run_id}/clusters/a%00", 400),
    ("/leaderboards/{key}/runs/{runId}/clusters/{clusterId}", "/leaderboards/lb_wins/runs/0/clusters/c2", 404),
    ("/leaderboards/{key}/runs/{runId}/clusters", "/leaderboards/lb_wins/runs/{run_id}/clusters?ids=c1", 200),
    ("/leaderboards/{key}/runs/{runId}/clusters", "/leaderboards/lb_wins/runs/{run_id}/clusters", 400),
    ("/leaderboards/{key}/runs/{runId}/clusters", "/leaderboards/lb_wins/runs/0/clusters?ids=c1", 404),
    ("/leaderboards/{key}/runs/{runId}/awards", "/leaderboards/lb_daily/runs/{final_id}/awards?limit=1", 200),
    ("/leaderboards/{key}/runs/{runId}/awards", "/leaderboards/lb_daily/runs/{final_id}/awards?after=x", 400),
    ("/leaderboards/{key}/runs/{runId}/awards", "/leaderboards/lb_wins/runs/{run_id}/awards", 404),
    ("/leaderboards/{key}/finals", "/leaderboards/lb_daily/finals?limit=1", 200),
    ("/leaderboards/{key}/finals", "/leaderboards/lb_daily/finals?before=x", 400),
    ("/leaderboards/{key}/finals", "/leaderboards/nope/finals", 404),
    ("/leaderboards/{key}/finals/previous", "/leaderboards/lb_daily/finals/previous", 200),
    ("/leaderboards/{key}/finals/previous", "/leaderboards/lb_daily/finals/previous?limit=0", 400),
    ("/leaderboards/{key}/finals/previous", "/leaderboards/lb_wins/finals/previous", 404),
    (
        "/leaderboards/{key}/finals/previous/clusters/{clusterId}",
        "/leaderboards/lb_daily/finals/previous/clusters/c1",
        200,
    ),
    (
        "/leaderboards/{key}/finals/previous/clusters/{clusterId}",
        "/leaderboards/lb_daily/finals/previous/clusters/c1?around=x",
        400,
    ),
    (
        "/leaderboards/{key}/finals/previous/clusters/{clusterId}",
        "/leaderboards/lb_wins/finals/previous/clusters/c1",
        404,
    ),
    ("/leaderboards/{key}/finals/previous/clusters", "/leaderboards/lb_daily/finals/previous/clusters?ids=c1,c2", 200),
    ("/leaderboards/{key}/finals/previous/clusters", "/leaderboards/lb_daily/finals/previous/clusters?ids=,", 400),
    ("/leaderboards/{key}/finals/previous/clusters", "/leaderboards/lb_wins/finals/previous/clusters?ids=c1", 404),
    ("/seasons", "/seasons", 200),
    ("/seasons/active", "/seasons/active", 200),
    ("/seasons/{seasonId}/progress", "/seasons/S1-2025/progress?clusterId=c1", 200),
    ("/seasons/{seasonId}/progress", "/seasons/S1-2025/progress?clusterId=unknown", 200),
    ("/seasons/{seasonId}/progress", "/seasons/S1-2025/progress", 400),
    ("/seasons/{seasonId}/progress", "/seasons/NOPE/progress?clusterId=c1", 404),
    ("/seasons/{seasonId}/rewards", "/seasons/S1-2025/rewards?clusterId=c1", 200),
    ("/seasons/{seasonId}/rewards", "/seasons/S1-2025/rewards", 200),
    ("/seasons/{seasonId}/rewards", "/seasons/S1-2025/rewards?clusterId=" + "x" * 129, 400),
    ("/seasons/{seasonId}/rewards", "/seasons/NOPE/rewards", 404),
    ("/seasons/{seasonId}/levels", "/seasons/S1-2025/levels", 200),
    ("/seasons/{seasonId}/levels", "/seasons/active/levels", 200),
    ("/seasons/{seasonId}/levels", "/seasons/NOPE/levels", 404),
    ("/clusters/{clusterId}", "/clusters/c1", 200),
    ("/clusters/{clusterId}", "/clusters/unknown", 200),
    ("/clusters/{clusterId}", "/clusters/" + "x" * 129, 400),
    ("/leaderboards/{key}/clusters/{clusterId}/history", "/leaderboards/lb_daily/clusters/c1/history", 200),
    ("/leaderboards/{key}/clusters/{clusterId}/history", "/leaderboards/lb_daily/clusters/c1/history?limit=0", 400),
    ("/leaderboards/{key}/clusters/{clusterId}/history", "/leaderboards/nope/clusters/c1/history", 404),
    ("/leaderboards/{key}/latest/movers", "/leaderboards/lb_daily/latest/movers?direction=down", 200),
    ("/leaderboards/{key}/latest/movers", "/leaderboards/lb_daily/latest/movers?direction=x", 400),
    ("/leaderboards/{key}/latest/movers", "/leaderboards/nope/latest/movers", 404),
    ("/leaderboards/{key}/runs/{runId}/movers", "/leaderboards/lb_daily/runs/999999/movers", 404),
    ("/leaderboards/{key}/runs/{runId}/movers", "/leaderboards/lb_daily/runs/1/movers?limit=0", 400),
    ("/leaderboards/{key}/finals/previous/movers", "/leaderboards/lb_daily/finals/previous/movers", 200),
    ("/leaderboards/{key}/finals/previous/movers", "/leaderboards/lb_wins/finals/previous/movers", 404),
    ("/leagues", "/leagues", 200),
    ("/leagues/{key}/clusters/{clusterId}", "/leagues/lg_daily/clusters/c1", 200),
    ("/leagues/{key}/clusters/{clusterId}", "/leagues/lg_daily/clusters/" + "x" * 129, 400),
    ("/leagues/{key}/clusters/{clusterId}", "/leagues/lg_daily/clusters/nobody", 404),
    ("/leagues/{key}/clusters/{clusterId}/history", "/leagues/lg_daily/clusters/c1/history", 200),
    ("/leagues/{key}/clusters/{clusterId}/history", "/leagues/lg_daily/clusters/a%00/history", 400),
    ("/leagues/{key}/clusters/{clusterId}/history", "/leagues/nope/clusters/c1/history", 404),
]


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_every_documented_path_is_exercised_here(schema):
    # The service API (/service/, with a key) is exercised below and in the service tests of each app.
    public = {path for path in schema["paths"] if not path.startswith(("/api/", "/service/"))}

    assert public == {path for path, _, _ in CASES}


@pytest.mark.parametrize(("path", "url", "status"), CASES, ids=[f"{c[1]}->{c[2]}" for c in CASES])
def test_real_responses_match_the_documented_schema(client, schema, data, path, url, status):
    response = client.get(url.format(run_id=data["run"].id, final_id=data["final"].id))

    assert response.status_code == status
    jsonschema.validate(response.json(), closed_response_schema(schema, "get", path, status))


def test_every_cached_read_documents_its_cache_headers_and_the_304(schema):
    run_reads = [
        path
        for path in schema["paths"]
        # A final run's awards change as they are paid: read fresh, not cached (prizes.api.views).
        if path.startswith("/leaderboards/{key}/") and not path.endswith(("/finals", "/awards"))
    ]

    for path in run_reads:
        operation = schema["paths"][path]["get"]
        assert {"200", "304", "400", "404"} <= set(operation["responses"]), path
        assert {"ETag", "Cache-Control"} <= set(operation["responses"]["200"]["headers"]), path
        assert "If-None-Match" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}, path
    for path in ("/leaderboards", "/leaderboards/{key}/finals"):
        operation = schema["paths"][path]["get"]
        assert {"ETag", "Cache-Control"} <= set(operation["responses"]["200"]["headers"]), path
        assert "304" in operation["responses"], path


def test_cluster_ids_are_described_exactly(schema):
    operation = schema["paths"]["/leaderboards/{key}/latest/clusters/{clusterId}"]["get"]
    [cluster_id] = [p for p in operation["parameters"] if p["name"] == "clusterId"]
    progress = schema["paths"]["/seasons/{seasonId}/progress"]["get"]
    [progress_cluster_id] = [p for p in progress["parameters"] if p["name"] == "clusterId"]

    assert cluster_id["schema"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 128,
        "pattern": "^(?!\\.\\.?$)[^/\\u0000]+$",
    }
    [ids] = [
        p for p in schema["paths"]["/leaderboards/{key}/latest/clusters"]["get"]["parameters"] if p["name"] == "ids"
    ]
    assert ids["schema"]["maxItems"] == 100  # its style and type: test_api_schema_for_clients.py
    assert progress_cluster_id["schema"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 128,
        "pattern": "^[^\\u0000]+$",
    }


@pytest.mark.parametrize("path", ["/leaderboards/{key}/latest", "/leaderboards/{key}/runs/{runId}"])
def test_the_limits_of_limit_and_the_shared_error_body_are_documented(schema, path):
    operation = schema["paths"][path]["get"]
    [limit] = [p for p in operation["parameters"] if p["name"] == "limit"]

    assert limit["in"] == "query"
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert schema["components"]["schemas"]["Error"]["properties"] == {"detail": {"type": "string"}}


def test_the_season_reads_document_exactly_their_answers_and_parameters(schema):
    progress = schema["paths"]["/seasons/{seasonId}/progress"]["get"]

    assert set(progress["responses"]) == {"200", "400", "404", "429", "503"}
    assert {p["name"]: p["required"] for p in progress["parameters"]} == {"clusterId": True, "seasonId": True}
    assert set(schema["paths"]["/seasons/active"]["get"]["responses"]) == {"200", "404", "429", "503"}
    assert progress["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "SeasonError" not in schema["components"]["schemas"]


def test_real_service_responses_match_the_documented_schema(client, schema, key):
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    SeasonRewardFactory(season=season, track="FREE", level=2, name="Bronze", kind="badge")
    SeasonRewardFactory(season=season, track="PREMIUM", level=2, name="Gold", kind="token", quantity=50, data={"t": 1})
    SeasonProgressFactory(season=season, cluster_id="c1", points=250)
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {key.plain_key}"

    def post(url, body):
        return client.post(url, body, content_type="application/json")

    premium, claims = "/service/seasons/{seasonId}/premium", "/service/seasons/{seasonId}/claims"
    premium_body = {"clusterId": "c1", "reference": "pay-1", "source": "stripe"}
    cases = [
        ("post", premium, post("/service/seasons/S1/premium", premium_body)),
        ("post", premium, post("/service/seasons/S1/premium", premium_body)),
        ("post", premium, post("/service/seasons/S1/premium", {**premium_body, "clusterId": "c2"})),
        ("post", claims, post("/service/seasons/S1/claims", {"clusterId": "c1", "track": "FREE", "level": 2})),
        ("post", claims, post("/service/seasons/S1/claims", {"clusterId": "c1", "track": "FREE", "level": 2})),
        ("post", claims, post("/service/seasons/S1/claims", {"clusterId": "c9", "track": "FREE", "level": 2})),
        ("post", claims, post("/service/seasons/S1/claims", {"clusterId": "c1", "track": "FREE", "level": 7})),
        ("get", claims, client.get("/service/seasons/S1/claims", {"clusterId": "c1"})),
    ]

    assert [response.status_code for _, _, response in cases] == [201, 200, 409, 201, 200, 409, 404, 200]
    for method, path, response in cases:
        documented = schema["paths"][path][method]["responses"][str(response.status_code)]
        body = documented["content"]["application/json"]["schema"]
        jsonschema.validate(response.json(), {**body, "components": schema["components"]})


def test_no_active_season_answers_the_documented_404(client, schema):
    response = client.get("/seasons/active")

    assert response.status_code == 404
    jsonschema.validate(response.json(), response_schema(schema, "/seasons/active", 404))


def test_docs_and_schema_are_served_without_external_assets(client):
    docs = client.get("/api/docs/")
    served = client.get("/api/schema/")

    assert docs.status_code == 200
    assert b"cdn.jsdelivr.net" not in docs.content and b"unpkg.com" not in docs.content
    assert b"/static/drf_spectacular_sidecar/" in docs.content
    assert served.status_code == 200


def test_every_request_body_is_strict_and_says_so(schema):
    """A new endpoint that takes a body must take it through hedge.core.api.StrictSerializer (unknown fields
    refused)."""
    components = schema["components"]["schemas"]
    bodies = {
        f"{method.upper()} {path}": components[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for content in [operation.get("requestBody", {}).get("content")]
        if content
    }

    assert set(bodies) >= {"POST /service/seasons/{seasonId}/premium", "POST /service/seasons/{seasonId}/claims"}
    assert {name: body.get("additionalProperties") for name, body in bodies.items()} == dict.fromkeys(bodies, False)


# --- every body has exactly the documented shape ---------------------------------------------------
#
# Each response shape is declared once, by the serializer's fields (the schema), and written by a
# hand-written to_representation (for speed). These tests make the two unable to disagree: every
# real body of every public (test_real_responses_match_the_documented_schema) and service endpoint
# is validated against its documented schema closed to undocumented keys, so a key written but not
# declared, a declared key missing, a type or a null the schema does not allow, all fail.


def closed(node):
    """The schema with every object that lists its properties refusing any other key."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: closed(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


def closed_response_schema(schema, method, path, status):
    body = schema["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    return {**closed(body), "components": closed(schema["components"])}


@pytest.fixture
def service(client, data):
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {APIKeyFactory().plain_key}"
    return client


# (method, documented path, real URL, JSON body, status) for the service API.
PREMIUM, CLAIMS = "/service/seasons/{seasonId}/premium", "/service/seasons/{seasonId}/claims"
GRANT = {"clusterId": "c1", "reference": "p", "source": "stripe"}
SERVICE_CASES = [
    (
        "post",
        PREMIUM,
        "/service/seasons/S1-2025/premium",
        GRANT,
        201,
    ),
    ("post", PREMIUM, "/service/seasons/S1-2025/premium", {"clusterId": ""}, 400),
    ("post", PREMIUM, "/service/seasons/NOPE/premium", GRANT, 404),
    ("post", CLAIMS, "/service/seasons/S1-2025/claims", {"clusterId": "c1", "track": "FREE", "level": 1}, 201),
    ("post", CLAIMS, "/service/seasons/S1-2025/claims", {"clusterId": "c1", "track": "PREMIUM", "level": 1}, 409),
    ("post", CLAIMS, "/service/seasons/S1-2025/claims", {"clusterId": "c1", "track": "FREE", "level": 2}, 404),
    ("post", CLAIMS, "/service/seasons/S1-2025/claims", {"clusterId": "c1"}, 400),
    ("get", CLAIMS, "/service/seasons/S1-2025/claims?clusterId=c1", None, 200),
    ("get", CLAIMS, "/service/seasons/S1-2025/claims", None, 400),
    ("get", CLAIMS, "/service/seasons/NOPE/claims?clusterId=c1", None, 404),
    ("get", "/service/awards", "/service/awards?limit=1", None, 200),
    ("get", "/service/awards", "/service/awards?limit=x", None, 400),
    ("post", "/service/awards/{awardId}/settle", "/service/awards/{award_id}/settle", {"reference": "0xabc"}, 200),
    ("post", "/service/awards/{awardId}/settle", "/service/awards/{award_id}/settle", {}, 400),
    ("post", "/service/awards/{awardId}/settle", "/service/awards/0/settle", {"reference": "0xabc"}, 404),
    ("put", "/service/clusters/{clusterId}", "/service/clusters/c1", {"displayName": " mira ", "avatarUrl": None}, 200),
    ("put", "/service/clusters/{clusterId}", "/service/clusters/c1", {"displayName": "a\u0007"}, 400),
    ("delete", "/service/clusters/{clusterId}", "/service/clusters/c1", None, 204),
]


def test_every_service_operation_is_exercised_here(schema):
    service = {
        (method, path) for path, ops in schema["paths"].items() if path.startswith("/service/") for method in ops
    }

    assert service == {(method, path) for method, path, _, _, _ in SERVICE_CASES}


@pytest.mark.parametrize(
    ("method", "path", "url", "body", "status"), SERVICE_CASES, ids=[f"{c[0]} {c[2]}->{c[4]}" for c in SERVICE_CASES]
)
def test_service_bodies_have_exactly_the_documented_keys(service, schema, data, method, path, url, body, status):
    for track in ["FREE", "PREMIUM"]:
        SeasonRewardFactory(season=data["season"], track=track, level=1, name="Bronze", data={"t": 1})
    url = url.format(award_id=data["award"].pk)
    write = functools.partial(getattr(service, method), data=body, content_type="application/json")
    response = service.get(url) if method == "get" else write(url)

    assert response.status_code == status
    if status == 204:
        assert response.content == b""
        return
    jsonschema.validate(response.json(), closed_response_schema(schema, method, path, status))
