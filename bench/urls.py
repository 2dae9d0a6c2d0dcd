"""hedge's URLs plus the bare floor views, for the benchmark's gunicorn only (never in hedge.urls)."""

from django.urls import include, path

from . import league_views, prize_views, profile_views, views

_LATEST = "bench-floor/leaderboards/<str:key>/latest"

urlpatterns = [
    path(_LATEST, views.floor_leaderboard_latest, name="bench-floor-latest"),
    path(f"{_LATEST}/clusters", views.floor_leaderboard_clusters, name="bench-floor-latest-clusters"),
    path(f"{_LATEST}/clusters/<str:cluster_id>", views.floor_leaderboard_cluster, name="bench-floor-latest-cluster"),
    path("bench-floor/seasons/<str:season_id>/progress", views.floor_season_progress, name="bench-floor-progress"),
    path("bench-floor/service/awards", prize_views.floor_service_awards, name="bench-floor-service-awards"),
    path("bench-floor/clusters/<str:cluster_id>", profile_views.floor_cluster_profile, name="bench-floor-profile"),
    path(
        "bench-floor/leaderboards/<str:key>/clusters/<str:cluster_id>/history",
        profile_views.floor_cluster_history,
        name="bench-floor-history",
    ),
    path(f"{_LATEST}/movers", profile_views.floor_latest_movers, name="bench-floor-latest-movers"),
    path(
        "bench-floor/leagues/<str:key>/clusters/<str:cluster_id>",
        league_views.floor_league_cluster,
        name="bench-floor-league-cluster",
    ),
    path("", include("hedge.urls")),
]
