"""Every refusal under the APIs is JSON: bodies too deep, too large or ambiguous, Django's own refusals, long lines."""

import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest
from django.db import connection

from hedge.core.api import RequestBodyTooLarge, StrictJSONParser
from seasons.models import RewardClaim
from tests.factories import APIKeyFactory, SeasonFactory, SeasonProgressFactory, SeasonRewardFactory

pytestmark = pytest.mark.django_db

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def service(client):
    key = APIKeyFactory()
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {key.plain_key}"
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    SeasonRewardFactory(season=season, track="FREE", level=1)
    SeasonProgressFactory(season=season, cluster_id="c1", points=100)
    return client


def claim(client, raw: str | bytes):
    return client.post("/service/seasons/S1/claims", raw, content_type="application/json")


# --- service bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_a_body_nested_too_deep_is_a_400_json_not_a_recursion_error(service, depth):
    response = claim(service, "[" * depth + "]" * depth)

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json() == {"detail": "JSON parse error - nested deeper than 32 levels."}


def test_a_body_nested_within_the_limit_is_answered_as_a_malformed_claim(service):
    response = claim(service, json.dumps({"clusterId": "c1", "track": "FREE", "level": 1, "x": [[[[1]]]]}))

    assert (response.status_code, response.json()) == (400, {"x": ["Unknown field."]})


def test_a_body_over_the_upload_limit_is_a_413_json_naming_the_limit(service, settings):
    body = json.dumps({"clusterId": "c" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "track": "FREE", "level": 1})

    response = claim(service, body)

    assert (response.status_code, response["Content-Type"]) == (413, "application/json")
    assert response.json() == {
        "detail": "The request body is larger than the limit of 2621440 bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)."
    }
    assert not RewardClaim.objects.exists()


def test_the_parser_reads_no_further_than_the_limit(settings):
    body = io.BytesIO(b"[" + b" " * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b"]")

    with pytest.raises(RequestBodyTooLarge):
        StrictJSONParser().parse(body)

    assert body.tell() == settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b'{"clusterId": "c1", "track": "FREE", "level": 1, "level": 2}', "the key 'level' appears more than once"),
        (b'{"clusterId": "c1", "track": "FREE", "level": NaN}', "NaN is not a JSON number"),
        (b'{"clusterId": "c\xff", "track": "FREE", "level": 1}', "'utf-8' codec can't decode byte 0xff"),
        (b'{"clusterId": "c\\ud800", "track": "FREE", "level": 1}', "a string holds a lone surrogate"),
    ],
    ids=["duplicate key", "NaN", "not UTF-8", "lone surrogate"],
)
def test_an_ambiguous_or_undecodable_body_is_a_400_json(service, raw, detail):
    response = claim(service, raw)

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert detail in response.json()["detail"]
    assert not RewardClaim.objects.exists()


# --- what Django refuses itself ------------------------------------------------------------------


def test_too_many_query_parameters_are_a_400_json_naming_the_limit(client):
    response = client.get("/seasons/S1/progress?" + "&".join(f"p{n}=1" for n in range(1_001)))

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json() == {"detail": "More than 1000 parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS)."}


@pytest.mark.parametrize("path", ["/leaderboards", "/seasons/active", "/service/seasons/S1/claims?clusterId=c1"])
def test_an_unknown_host_is_a_400_json_under_the_apis(client, path):
    response = client.get(path, HTTP_HOST="elsewhere.example")

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json() == {"detail": "The Host header names no host this server answers for."}


def test_an_unknown_host_is_still_django_s_page_in_the_admin(client):
    response = client.get("/admin/", HTTP_HOST="elsewhere.example")

    assert (response.status_code, response["Content-Type"]) == (400, "text/html; charset=utf-8")


@pytest.mark.parametrize(
    "path",
    [
        "/leaderboards/a%00b/latest",
        "/leaderboards/a%FFb/latest",
        "/leaderboards/top/latest/clusters/a%00b",
        "/seasons/S%00/progress?clusterId=c1",
        "/seasons/S1/rewards?clusterId=a%FF",
        "/service/seasons/S%FF/claims?clusterId=c1",
        "/api/%00",
    ],
)
def test_nul_and_bytes_that_are_not_utf8_in_a_path_are_answered_in_json(service, path):
    response = service.get(path)

    assert response.status_code in {200, 400, 404}  # an id "a\ufffd" may be asked for
    assert response["Content-Type"] == "application/json"


# --- the request line: the documented gunicorn command takes every id list the schema allows -----------


def production_gunicorn_limits() -> list[str]:
    """The request-line and header limits of the production command in README.md."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as readme:
        [command] = [line for line in readme if line.startswith(".venv/bin/gunicorn hedge.wsgi")]
    words = shlex.split(command)
    return [word for n, word in enumerate(words) if word.startswith("--limit-request") or (
        n and words[n - 1].startswith("--limit-request"))]  # fmt: skip


def test_the_production_command_states_its_request_line_limit():
    assert production_gunicorn_limits()[:2] == ["--limit-request-line", "0"]


@pytest.fixture
def production_server(transactional_db):
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{database['NAME']}"
    else:
        credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        url = (
            f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
        )
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    env = {"PATH": os.environ["PATH"], "HEDGE_ENV_FILE": "", "SECRET_KEY": "tests-only-not-secret",
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false", "DATABASE_URL": url}  # fmt: skip
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "hedge.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         *production_gunicorn_limits()],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


def raw_get(port: int, target: str) -> tuple[int, str, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("ascii"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    content_type = re.search(rb"(?im)^content-type: *([^\r]*)", head).group(1).decode()
    return status, content_type, body


@pytest.mark.parametrize("character", ["x", "\U0001f600"], ids=["ascii", "four utf-8 bytes"])
def test_the_longest_id_list_the_schema_allows_reaches_hedge_and_is_answered_in_json(production_server, character):
    ids = ",".join(urllib.parse.quote(f"{n:03}" + character * 125) for n in range(100))  # 100 ids of 128 characters

    status, content_type, body = raw_get(production_server, f"/leaderboards/top_wins/latest/clusters?ids={ids}")

    assert len(ids) > 12_800
    assert (status, content_type) == (404, "application/json")  # no such leaderboard: hedge read the whole line
    assert json.loads(body) == {"detail": "No active leaderboard 'top_wins'."}
