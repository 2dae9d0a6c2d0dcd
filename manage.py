#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    # hedge.settings plus the demo app (quickstart) while DEBUG is on; with DEBUG off, hedge.settings exactly.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hedge.demo.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Is the virtualenv active? (python3 -m venv .venv && "
            ".venv/bin/pip install -r requirements.txt, then use .venv/bin/python)"
        ) from exc
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.db import InterfaceError, OperationalError

    try:
        # Load the settings first: Django's command runner would otherwise swallow a bad setting
        # and fail later with an unrelated "Models aren't loaded yet".
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        sys.exit(f"hedge: {exc}")
    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, InterfaceError) as exc:
        # The database is unreachable, dropped the connection (TCP keepalives and tcp_user_timeout
        # notice a dead host in seconds: settings.py) or refused the statement: one clear line, exit 1.
        sys.exit(f"hedge: the database failed ({type(exc).__name__}): {exc}")


if __name__ == "__main__":
    main()
