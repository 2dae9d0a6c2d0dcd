"""`python -m bench [options]`: `manage.py bench [options]` under the benchmark's own settings."""

import os
import sys


def main() -> None:
    # Always bench.settings: a DJANGO_SETTINGS_MODULE=hedge.settings left in the environment (as a
    # deployment sets it) would otherwise hide the command.
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load the settings: a bad one is one line, as in manage.py
    except ImproperlyConfigured as exc:
        sys.exit(f"hedge: {exc}")
    execute_from_command_line(["manage.py", "bench", *sys.argv[1:]])


if __name__ == "__main__":
    main()
