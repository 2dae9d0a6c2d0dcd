from django.apps import AppConfig


class BenchConfig(AppConfig):
    """`manage.py bench`: hedge's data work next to the bare-SQL floor. No models.

    A tool, not part of the product: installed only by `bench.settings`, never by `hedge.settings`.
    """

    name = "bench"
    verbose_name = "Benchmark"
