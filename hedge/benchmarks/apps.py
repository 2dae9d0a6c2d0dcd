from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """`manage.py bench`: hedge's data work next to the bare-SQL floor. No models."""

    name = "hedge.benchmarks"
    label = "benchmarks"
    verbose_name = "Benchmarks"
