from django.apps import AppConfig


class SeasonsConfig(AppConfig):
    name = "seasons"
    verbose_name = "Seasons (Challenge Pass)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hedge.challenges.signals import history_needed_since, progress_changed

        from .receivers import history_needed_by_seasons, recompute_active_season

        progress_changed.connect(recompute_active_season, dispatch_uid="seasons.recompute_active_season")
        history_needed_since.connect(history_needed_by_seasons, dispatch_uid="seasons.history_needed")
