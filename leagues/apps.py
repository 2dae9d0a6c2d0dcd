from django.apps import AppConfig


class LeaguesConfig(AppConfig):
    name = "leagues"
    verbose_name = "Leagues"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from leaderboards.signals import final_run_published, run_published

        from .receivers import close_period, place_members

        # Placement is written inside every generation's transaction; moves inside the final run's publication.
        run_published.connect(place_members, dispatch_uid="leagues.place_members")
        final_run_published.connect(close_period, dispatch_uid="leagues.close_period")
