"""Development settings: hedge's own, plus the demo app (`manage.py quickstart`) while DEBUG is on.

manage.py's default, so the README's run command (`DEBUG=true .venv/bin/python manage.py quickstart`) finds
quickstart. With DEBUG off they are exactly the production settings (`hedge.settings`, which `hedge.wsgi`
and `hedge.asgi` load): production never installs the demo.
"""

from hedge.settings import *  # noqa: F403

if DEBUG:  # noqa: F405
    INSTALLED_APPS = [*INSTALLED_APPS, "hedge.demo"]  # noqa: F405
