"""Settings of the gunicorn workers that `manage.py bench` starts: hedge's own, plus the floor views.

Everything that shapes a request (middleware, DRF, database options) is hedge's production
configuration, read from the environment the bench command sets; only the URLconf differs, so
hedge's endpoints and the bare floor views are served side by side by the same workers.
"""

from hedge.settings import *  # noqa: F403

ROOT_URLCONF = "hedge.benchmarks.urls"
