from django.apps import AppConfig


class HedgeConfig(AppConfig):
    """The project package as an app: its system checks (hedge.checks)."""

    name = "hedge"

    def ready(self):
        from . import checks  # noqa: F401 - registers the checks
