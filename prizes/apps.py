from django.apps import AppConfig


class PrizesConfig(AppConfig):
    name = "prizes"
    verbose_name = "Prizes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from leaderboards.extensions import register_list_item_field
        from leaderboards.signals import final_run_published

        from .api.serializers import PRIZES_LIST_ITEM_FIELD
        from .receivers import award_final_run

        # Awards are written inside the transaction that publishes the final run (leaderboards.signals).
        final_run_published.connect(award_final_run, dispatch_uid="prizes.award_final_run")
        # Each board in GET /leaderboards shows its prize table (leaderboards.extensions).
        register_list_item_field(PRIZES_LIST_ITEM_FIELD)
