"""Real-browser tests: Debian's Chromium, headless, driven by Playwright against pytest-django's live server.

Marked `browser`. Skipped with the reason when /usr/bin/chromium or the playwright package is
missing (.ci/run installs both); never downloads a browser. Screenshots go to $SCREENSHOT_DIR
(default: test-screenshots/ beside manage.py), which CI keeps on failure.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.factories import STAFF_PASSWORD, SuperuserFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "test-screenshots"))


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium (one per test session)."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright runs an event loop in this thread
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh page at 1366 x 768 (a staff laptop)."""
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """`screenshot("step-name")` saves the page as <SCREENSHOT_DIR>/<test>/<n>-step-name.png."""
    folder = SCREENSHOT_DIR / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    taken = []

    def take(name: str) -> Path:
        taken.append(name)
        path = folder / f"{len(taken):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def staff_page(live_server, page):
    """`page`, logged in to the admin as a superuser ("staff")."""
    SuperuserFactory(username="staff")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page
