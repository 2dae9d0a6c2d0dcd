from django.urls import path
from drf_spectacular.utils import extend_schema

from .api import (
    LeaderboardFinalsView,
    LeaderboardLatestView,
    LeaderboardListView,
    LeaderboardPreviousFinalView,
    LeaderboardRunView,
)


def _with_trailing_slash(view_class):
    """The same view for the path with a trailing slash, left out of the API schema (one path per operation)."""
    alias = type(f"{view_class.__name__}TrailingSlash", (view_class,), {})
    return extend_schema(exclude=True)(alias).as_view()


# Paths are exactly the public API's; the same paths with a trailing slash are also accepted.
urlpatterns = [
    path("leaderboards", LeaderboardListView.as_view(), name="leaderboard-list"),
    path("leaderboards/<str:key>/latest", LeaderboardLatestView.as_view(), name="leaderboard-latest"),
    path("leaderboards/<str:key>/runs/<str:runId>", LeaderboardRunView.as_view(), name="leaderboard-run"),
    path("leaderboards/<str:key>/finals", LeaderboardFinalsView.as_view(), name="leaderboard-finals"),
    path(
        "leaderboards/<str:key>/finals/previous",
        LeaderboardPreviousFinalView.as_view(),
        name="leaderboard-finals-previous",
    ),
    path("leaderboards/", _with_trailing_slash(LeaderboardListView)),
    path("leaderboards/<str:key>/finals/", _with_trailing_slash(LeaderboardFinalsView)),
    path("leaderboards/<str:key>/finals/previous/", _with_trailing_slash(LeaderboardPreviousFinalView)),
    path("leaderboards/<str:key>/latest/", _with_trailing_slash(LeaderboardLatestView)),
    path("leaderboards/<str:key>/runs/<str:runId>/", _with_trailing_slash(LeaderboardRunView)),
]
