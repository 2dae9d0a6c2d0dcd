from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "hedge.challenges"
    label = "challenges"
    verbose_name = "Challenges"
    default_auto_field = "django.db.models.BigAutoField"
