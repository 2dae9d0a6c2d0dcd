"""The benchmark's settings: hedge's own, plus the bench app (`manage.py bench`) and the floor views.

`DJANGO_SETTINGS_MODULE=bench.settings python manage.py bench ...` (or `python -m bench ...`), and
the gunicorn workers the command starts. Everything that shapes a request (middleware, DRF,
database options) is hedge's production configuration, read from the environment; only the
installed bench app and the URLconf differ, so hedge's endpoints and the bare floor views are
served side by side by the same workers. Production (`hedge.settings`) never installs the bench.
"""

from hedge.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
