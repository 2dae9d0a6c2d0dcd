"""hedge's URLs plus the bare floor views, for the benchmark's gunicorn only (never in hedge.urls)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench-floor/leaderboards/<str:key>/latest", views.floor_leaderboard_latest, name="bench-floor-latest"),
    path("bench-floor/seasons/<str:season_id>/progress", views.floor_season_progress, name="bench-floor-progress"),
    path("", include("hedge.urls")),
]
