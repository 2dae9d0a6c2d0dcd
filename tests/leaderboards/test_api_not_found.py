"""Unknown URLs under the API's prefixes answer the API's JSON 404, never Django's HTML page."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/leaderboards/top_wins",
        "/leaderboards/top_wins/",
        "/leaderboards/top_wins/nope",
        "/leaderboards/top_wins/latest/extra",
        "/leaderboards/top_wins/latest/clusters/bob/extra",
        "/leaderboards/top_wins/runs/1/2",
        "/leaderboards/top_wins/runs",
        "/leaderboards/top_wins/finals/nope",
        "/leaderboards//latest",
        "/seasons/S1/nope",
        "/seasons/S1",
        "/seasons/S1/progress/extra",
        "/api/nope",
        "/api/schema/extra",
    ],
)
def test_an_unknown_api_url_is_a_json_404(api, published, path, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_any_method_on_an_unknown_api_url_is_a_json_404(api, db):
    response = api.post("/leaderboards/x/y/z", {"a": 1}, format="json")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_known_endpoints_stay_read_only(api, published):
    assert api.post("/leaderboards/top_wins/latest").status_code == 405
    assert api.delete("/leaderboards/top_wins/latest/clusters/bob").status_code == 405
    assert api.put("/leaderboards/top_wins/latest/clusters?ids=bob").status_code == 405
