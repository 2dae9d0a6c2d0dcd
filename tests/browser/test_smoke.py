"""The browser harness itself: Chromium loads hedge's API docs page from the live server."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_page_renders_in_a_real_browser(live_server, page, screenshot):
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("text=hedge", timeout=15_000)

    assert "hedge" in page.title().lower() or page.locator("h2").count() > 0
    assert screenshot("api-docs").stat().st_size > 10_000
