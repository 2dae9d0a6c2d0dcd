from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and `manage.py quickstart`: hedge running with no external data. No models."""

    name = "hedge.demo"
    label = "demo"
    verbose_name = "Demo"
