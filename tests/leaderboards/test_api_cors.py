"""CORS on the public API (django-cors-headers): only CORS_ALLOWED_ORIGINS, read-only methods, no credentials."""

import pytest

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"


@pytest.fixture(autouse=True)
def allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


@pytest.mark.parametrize(
    "path", ["/leaderboards", "/leaderboards/top_wins/latest", "/leaderboards/top_wins/latest/clusters/bob", "/seasons"]
)
def test_an_allowed_origin_may_read_the_api(api, published, path):
    response = api.get(path, HTTP_ORIGIN=APP)

    assert response["Access-Control-Allow-Origin"] == APP
    assert not response.has_header("Access-Control-Allow-Credentials")
    assert "origin" in response["Vary"].lower()


def test_errors_carry_the_headers_too_so_the_page_can_read_them(api, published):
    response = api.get("/leaderboards/nope/latest", HTTP_ORIGIN=APP)

    assert (response.status_code, response["Access-Control-Allow-Origin"]) == (404, APP)


def test_another_origin_gets_no_cors_headers(api, published):
    response = api.get("/leaderboards/top_wins/latest", HTTP_ORIGIN="https://evil.example.com")

    assert response.status_code == 200
    assert not response.has_header("Access-Control-Allow-Origin")


def test_no_origin_is_allowed_by_default(api, published, settings):
    settings.CORS_ALLOWED_ORIGINS = []

    assert not api.get("/leaderboards", HTTP_ORIGIN=APP).has_header("Access-Control-Allow-Origin")


def test_a_preflight_allows_reading_methods_only(api, published):
    response = api.options("/leaderboards/top_wins/latest", HTTP_ORIGIN=APP, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert set(response["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_the_admin_is_not_shared_with_other_origins(client, db):
    response = client.get("/admin/login/", HTTP_ORIGIN=APP)

    assert not response.has_header("Access-Control-Allow-Origin")
