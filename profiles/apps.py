from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    """Player-centred reads: where one cluster stands on every board, in the season pass and in prizes."""

    name = "profiles"
    verbose_name = "Profiles"
    default_auto_field = "django.db.models.BigAutoField"
