"""Test settings: the real settings, with what a test run needs and production must not have."""

import os
from pathlib import Path

# The tests do not depend on a developer's set-up: no .env is read (here nor in the processes the tests
# start), and DEBUG=true exported as the README suggests for commands changes nothing.
os.environ["HEDGE_ENV_FILE"] = ""
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from hedge.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
HEDGE_EXTRACTORS = {}
LEADERBOARD_TIMEZONE = "UTC"
# The benchmark is a tool that production never installs (bench.settings does); its command is
# tested in-process against the test database, so the test run installs it too.
INSTALLED_APPS = [*INSTALLED_APPS, "hedge.demo", "bench"]  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so tests that use threads see one database with real locking.
    # Named after the configured file, so two checkouts (or two DATABASE_URLs) never share one.
    _name = Path(DATABASES["default"]["NAME"])  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_name.with_name(f"test_{_name.stem}.sqlite3"))}  # noqa: F405

# Two more aliases on the same test database, as read replicas are in production: the replica
# router's tests name them in DATABASE_REPLICAS (empty otherwise, so other tests never use them).
# Two, because replicas lag by different amounts (a test holds one on an old snapshot).
for _alias in ("replica", "replica_2"):
    DATABASES[_alias] = {**DATABASES["default"], "TEST": {**DATABASES["default"].get("TEST", {}), "MIRROR": "default"}}  # noqa: F405

# Webhook tests deliver to a real receiver on 127.0.0.1 over http; the tests of the address rules turn these off.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

# In-process requests share the test's own database connection (and its transaction): the deadline
# that cuts a hung connection (hedge.core.watchdog) must not cut it on a slow, loaded test machine. The
# deadline is tested against a real server with production settings (tests/hedge/test_database_faults.py).
API_DATABASE_TIMEOUT = 60

# Likewise the API's statement timeout: it stays on a persistent session after a public request (by design),
# and a transactional test's teardown (TRUNCATE of every table) on that session must not be cut by it on a
# loaded machine. The timeout is tested with its own values (tests/hedge/test_database_faults.py).
API_STATEMENT_TIMEOUT = 60
