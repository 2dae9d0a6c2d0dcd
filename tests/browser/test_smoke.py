"""The browser harness itself: Chromium loads hedge's API docs page from the live server."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_page_renders_in_a_real_browser(live_server, page, screenshot, schema):
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".opblock-summary-path").first.wait_for(timeout=15_000)

    # Swagger UI drew the document it was served: its title, a section per tag and every documented path.
    operations = [operation for methods in schema["paths"].values() for operation in methods.values()]
    tags = page.locator(".opblock-tag").evaluate_all("tags => tags.map(t => t.dataset.tag)")
    paths = page.locator(".opblock-summary-path").evaluate_all("paths => paths.map(p => p.dataset.path)")
    assert page.locator(".info .title").first.inner_text().startswith(schema["info"]["title"])
    assert {"leaderboards", "seasons", "service"} <= set(tags) == {tag for op in operations for tag in op["tags"]}
    assert sorted(paths) == sorted(path for path, methods in schema["paths"].items() for _ in methods)
    assert screenshot("api-docs").stat().st_size > 10_000
