"""CORS in a real browser: a page on another origin fetches /leaderboards/{key}/latest and shows the data."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = """<!doctype html>
<html><head><title>A frontend on another origin</title></head>
<body>
<h1>Top wins, read from hedge</h1>
<pre id="board">loading...</pre>
<script>
fetch("{api}")
  .then((response) => response.json())
  .then((body) => {{
    document.getElementById("board").textContent =
      body.entries.map((e) => e.position + ". " + e.clusterId + " " + e.score).join("\\n");
    document.body.dataset.outcome = "read";
  }})
  .catch((error) => {{
    document.getElementById("board").textContent = "blocked: " + error;
    document.body.dataset.outcome = "blocked";
  }});
</script>
</body></html>
"""


@pytest.fixture
def published(transactional_db):
    """A COMPLETE run of `top_wins`: bob 10, alice 9, carol 7."""
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="top_wins"), row_count=3)
    for position, (cluster_id, score) in enumerate([("bob", 10), ("alice", 9), ("carol", 7)], start=1):
        LeaderboardEntryFactory(run=run, position=position, cluster_id=cluster_id, score=score)
    return run


@pytest.fixture
def other_origin():
    """A web server on 127.0.0.1 (another origin than the live server's localhost) serving `pages[path]`."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", pages
    server.shutdown()
    server.server_close()


def open_frontend(page, live_server, other_origin) -> str:
    origin, pages = other_origin
    assert not live_server.url.startswith(origin)  # really another origin
    pages["/"] = PAGE.format(api=f"{live_server.url}/leaderboards/top_wins/latest?limit=3")
    page.goto(f"{origin}/")
    page.wait_for_selector("body[data-outcome]", timeout=15_000)
    return page.get_attribute("body", "data-outcome")


def test_a_page_on_an_allowed_origin_reads_the_latest_run(
    live_server, page, screenshot, published, settings, other_origin
):
    settings.CORS_ALLOWED_ORIGINS = [other_origin[0]]

    outcome = open_frontend(page, live_server, other_origin)

    screenshot("allowed-origin-shows-the-board")
    assert outcome == "read"
    assert page.inner_text("#board").splitlines() == ["1. bob 10", "2. alice 9", "3. carol 7"]


def test_the_browser_blocks_a_page_on_an_origin_not_allowed(
    live_server, page, screenshot, published, settings, other_origin
):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    outcome = open_frontend(page, live_server, other_origin)

    screenshot("other-origin-is-blocked")
    assert outcome == "blocked"
