from django.apps import AppConfig


class LeaderboardsConfig(AppConfig):
    name = "leaderboards"
    verbose_name = "Leaderboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hedge.challenges.signals import history_needed_since

        from .receivers import history_needed_by_leaderboards

        history_needed_since.connect(history_needed_by_leaderboards, dispatch_uid="leaderboards.history_needed")

        from seasons.selectors import withhold_progress_where

        from .sql import EXCLUDED_EVERYWHERE

        # A cluster excluded from everything has its season progress withheld, inside the progress read.
        withhold_progress_where(EXCLUDED_EVERYWHERE)
