"""The OpenAPI document as client generators (openapi-python-client, openapi-fetch) and a browser need it.

Nothing is generated here: each property a generated client relies on is checked in the schema itself.
"""

import itertools
import re

import pytest

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def public_operations(schema):
    return [(p, m, o) for p, m, o in operations(schema) if not p.startswith("/service/")]


def service_operations(schema):
    return [(p, m, o) for p, m, o in operations(schema) if p.startswith("/service/")]


def test_public_operations_need_no_authentication_and_service_ones_the_api_key(schema):
    scheme = schema["components"]["securitySchemes"]["serviceApiKey"]

    assert len(public_operations(schema)) >= 16
    assert {path: op["security"] for path, _, op in public_operations(schema)} == {
        path: [] for path, _, _ in public_operations(schema)
    }
    assert all(op["security"] == [{"serviceApiKey": []}] for _, _, op in service_operations(schema))
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert "Api-Key <key>" in scheme["description"]
    assert all("Authorization: Api-Key <key>" in op["description"] for _, _, op in service_operations(schema))


def test_every_public_operation_documents_429_and_503_with_retry_after_and_the_error_body(schema):
    for path, _, operation in public_operations(schema):
        for status in ("429", "503"):
            response = operation["responses"][status]
            assert "Retry-After" in response["headers"], (path, status)
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_service_400s_have_a_body_naming_the_fields(schema):
    for path, method, operation in service_operations(schema):
        if "400" not in operation["responses"]:
            continue
        body = operation["responses"]["400"]["content"]["application/json"]["schema"]
        assert body["type"] == "object" and body["additionalProperties"]["type"] == "array", (method, path)
        assert set(body["properties"]) - {"detail"}, (method, path)
    claims = schema["paths"]["/service/seasons/{seasonId}/claims"]
    claim_errors = claims["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert {"clusterId", "track", "level"} <= set(claim_errors["properties"])


def test_ids_is_declared_exploded_as_generators_send_it(schema):
    for path, _, operation in public_operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "ids":
                assert (parameter["style"], parameter["explode"]) == ("form", True), path
                assert parameter["schema"]["type"] == "array", path


def test_enumerations_are_enums(schema):
    components = schema["components"]["schemas"]

    assert components["LeaderboardListItem"]["properties"]["timeWindow"] == {
        "$ref": "#/components/schemas/TimeWindowEnum"
    }
    assert components["LeaderboardListItem"]["properties"]["rankMode"]["allOf"] == [
        {"$ref": "#/components/schemas/RankModeEnum"}
    ]
    assert components["LeaderboardRunHeader"]["properties"]["timeWindow"]["$ref"].endswith("/TimeWindowEnum")
    assert components["RewardTrack"]["properties"]["track"]["$ref"].endswith("/RewardTrackEnum")
    assert components["Claim"]["properties"]["track"]["$ref"].endswith("/RewardTrackEnum")
    assert components["TimeWindowEnum"]["enum"] == ["DAILY", "WEEKLY", "MONTHLY", "SEASON", "ALL_TIME"]
    assert components["RankModeEnum"]["enum"] == ["DENSE", "COMPETITION"]
    assert set(components["RewardStateEnum"]["enum"]) == {
        "locked",
        "claimable",
        "claimed",
        "premium_required",
        "closed",
    }
    assert components["AwardStatusEnum"]["enum"] == ["PENDING", "SETTLED", "VOID"]


def test_a_nullable_enum_is_one_of_the_enum_and_null(schema):
    components = schema["components"]["schemas"]

    assert components["RewardLine"]["properties"]["state"] == {
        "oneOf": [{"$ref": "#/components/schemas/RewardStateEnum"}, {"type": "null"}]
    }
    assert "NullEnum" not in components
    assert "NullEnum" not in str(schema)


def test_nullable_fields_of_answers_are_required(schema):
    rewards = schema["components"]["schemas"]["SeasonRewards"]

    assert {"level", "maxLevel"} <= set(rewards["required"])
    assert rewards["properties"]["level"]["type"] == ["integer", "null"]
    for name, component in schema["components"]["schemas"].items():
        for key, prop in component.get("properties", {}).items():
            nullable = "null" in (prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")])
            nullable = nullable or {"type": "null"} in prop.get("oneOf", [])
            if nullable and not name.endswith("Request"):
                assert key in component.get("required", []), (name, key)


def test_no_component_has_a_property_of_its_own_name(schema):
    """A component `Track` with a property `track` collides in generated code."""
    for name, component in schema["components"]["schemas"].items():
        assert name.lower() not in {key.lower() for key in component.get("properties", {})}, name


def _distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, other in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (char != other))
    return row[-1]


def test_operation_ids_read_well_and_never_differ_by_a_letter_or_two(schema):
    ids = [operation["operationId"] for _, _, operation in operations(schema)]

    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", operation_id) for operation_id in ids), ids
    # set/clear: the service API's PUT and DELETE of a cluster's display name (issue #24)
    verbs = {"get", "list", "grant", "claim", "settle", "set", "clear"}
    assert all(operation_id.split("_")[0] in verbs for operation_id in ids)
    close = [(a, b) for a, b in itertools.combinations(ids, 2) if _distance(a, b) <= 2]
    assert close == []


def test_every_operation_has_its_own_summary_and_a_description_for_clients(schema):
    summaries = [operation["summary"] for _, _, operation in operations(schema)]
    implementation = re.compile(r"to_representation|DRF|annotation|prefetch|queryset|serializer", re.IGNORECASE)

    assert len(summaries) == len(set(summaries))
    for path, method, operation in public_operations(schema):
        assert operation.get("description"), (method, path)
    assert not implementation.search(str(schema))


def test_run_reads_explain_entry_null_previous_rank_on_finals_is_final_and_next_reset_at(schema):
    cluster = schema["paths"]["/leaderboards/{key}/latest/clusters/{clusterId}"]["get"]
    previous_final = schema["paths"]["/leaderboards/{key}/finals/previous"]["get"]

    assert "`entry: null`" in cluster["description"]
    assert "On a final run `previousRank`" in previous_final["description"]
    assert "`isFinal`" in previous_final["description"] and "`nextResetAt`" in previous_final["description"]
    assert cluster["responses"]["200"]["content"]["application/json"]["examples"]


def test_the_schema_names_a_server_and_separates_public_from_service(schema):
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}

    assert schema["servers"] == [{"url": "/", "description": "The server that serves this document."}]
    assert "Public" in tags["leaderboards"] and "Public" in tags["seasons"]
    assert {tag for _, _, operation in operations(schema) for tag in operation["tags"]} == set(tags)
    assert all(tags[tag].startswith("Public") for _, _, op in public_operations(schema) for tag in op["tags"])
    assert "read-only" not in schema["info"]["title"].lower()
    assert "Api-Key" in tags["service"]
    assert all(operation["tags"] == ["service"] for _, _, operation in service_operations(schema))
    assert all(operation["tags"] != ["service"] for _, _, operation in public_operations(schema))


def test_leaderboard_items_and_runs_document_what_a_board_ranks_and_its_period_label(schema):
    components = schema["components"]["schemas"]

    assert {
        "challengeCode", "challengeName", "categoryKey", "fallbackChallengeCode", "maxEntries", "rankMode"
    } <= set(components["LeaderboardListItem"]["required"])  # fmt: skip
    for name in ("RunSummary", "LeaderboardRunHeader", "FinalRunSummary"):
        assert "periodLabel" in components[name]["required"], name
    assert "nextAfter" in components["LeaderboardRun"]["required"]


def test_a_browser_is_shown_the_schema_and_the_download_is_a_query_away(client):
    shown = client.get("/api/schema/", HTTP_ACCEPT=BROWSER)
    yaml = client.get("/api/schema/?format=yaml", HTTP_ACCEPT=BROWSER)
    download = client.get("/api/schema/?format=yaml&download", HTTP_ACCEPT=BROWSER)
    openapi = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert (shown.status_code, shown["Content-Type"]) == (200, "application/json")
    assert shown["Content-Disposition"].startswith("inline") and shown.json()["openapi"] == "3.1.0"
    assert yaml["Content-Type"].startswith("text/plain") and yaml.content.startswith(b"openapi: 3.1.0")
    assert yaml["Content-Disposition"].startswith("inline")
    assert download["Content-Disposition"] == 'attachment; filename="hedge-api.yaml"'
    assert download.content == yaml.content
    assert openapi["Content-Type"].startswith("application/vnd.oai.openapi")


ENUMERATED = {"timeWindow", "rankMode", "track", "state", "status", "scoring", "reason", "direction", "error"}


def _is_enum(prop: dict, components: dict) -> bool:
    options = prop.get("allOf", []) + [o for o in prop.get("oneOf", []) if o != {"type": "null"}] + [prop]
    for option in options:
        if "$ref" in option:
            option = components[option["$ref"].rsplit("/", 1)[1]]
        if "enum" in option:
            return True
    return False


def test_every_enumerated_field_is_an_enum_wherever_it_appears(schema):
    """Not only the fields named above: a new shape with a `timeWindow` or a `status` gets its enum too."""
    components = schema["components"]["schemas"]
    fields = [
        (name, key, prop)
        for name, component in components.items()
        for key, prop in component.get("properties", {}).items()
        if key in ENUMERATED and not name.endswith("QueryError")  # a 400's messages about the parameter
    ]
    parameters = [
        (f"{method} {path}", parameter["name"], parameter["schema"])
        for path, method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"] in ENUMERATED and parameter["in"] == "query"
    ]

    assert len(fields) >= 15 and parameters
    assert [(name, key) for name, key, prop in fields + parameters if not _is_enum(prop, components)] == []
