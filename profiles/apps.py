from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    """Player-centred reads: where one cluster stands on every board, in the season pass and in prizes.

    Also the owner of clusters' display names and avatars (ClusterProfile), which every entry of a run
    read shows (leaderboards.extensions.ClusterNames).
    """

    name = "profiles"
    verbose_name = "Profiles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from leaderboards.extensions import register_cluster_names

        from .selectors import CLUSTER_NAMES

        register_cluster_names(CLUSTER_NAMES)
