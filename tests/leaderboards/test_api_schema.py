"""GET /api/schema/: the OpenAPI description of the leaderboard API."""

import pytest

pytestmark = pytest.mark.django_db


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
