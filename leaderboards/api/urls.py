from django.urls import path, re_path
from drf_spectacular.utils import extend_schema

from hedge.core.api import not_found

from .views import (
    LatestClustersView,
    LatestClusterView,
    LatestPageView,
    LeaderboardFinalsView,
    LeaderboardListView,
    PreviousFinalClustersView,
    PreviousFinalClusterView,
    PreviousFinalPageView,
    RunClustersView,
    RunClusterView,
    RunPageView,
)


def _with_trailing_slash(view_class):
    """The same view for the path with a trailing slash, left out of the API schema (one path per operation)."""
    alias = type(f"{view_class.__name__}TrailingSlash", (view_class,), {})
    return extend_schema(exclude=True)(alias).as_view()


# Each way of naming a run: its path, its page, cluster and clusters views, its URL names.
_RUN_READS = [
    ("latest", LatestPageView, LatestClusterView, LatestClustersView, "latest"),
    ("runs/<str:runId>", RunPageView, RunClusterView, RunClustersView, "run"),
    ("finals/previous", PreviousFinalPageView, PreviousFinalClusterView, PreviousFinalClustersView, "finals-previous"),
]

# Paths are exactly the public API's; the same paths with a trailing slash are also accepted.
urlpatterns = [
    path("leaderboards", LeaderboardListView.as_view(), name="leaderboard-list"),
    path("leaderboards/", _with_trailing_slash(LeaderboardListView)),
    path("leaderboards/<str:key>/finals", LeaderboardFinalsView.as_view(), name="leaderboard-finals"),
    path("leaderboards/<str:key>/finals/", _with_trailing_slash(LeaderboardFinalsView)),
]
for run, page, cluster, clusters, name in _RUN_READS:
    urlpatterns += [
        path(f"leaderboards/<str:key>/{run}", page.as_view(), name=f"leaderboard-{name}"),
        path(f"leaderboards/<str:key>/{run}/", _with_trailing_slash(page)),
        path(f"leaderboards/<str:key>/{run}/clusters", clusters.as_view(), name=f"leaderboard-{name}-clusters"),
        path(f"leaderboards/<str:key>/{run}/clusters/", _with_trailing_slash(clusters)),
        path(
            f"leaderboards/<str:key>/{run}/clusters/<str:clusterId>",
            cluster.as_view(),
            name=f"leaderboard-{name}-cluster",
        ),
        path(f"leaderboards/<str:key>/{run}/clusters/<str:clusterId>/", _with_trailing_slash(cluster)),
    ]
# Anything else under the prefix is the API's JSON 404, never Django's HTML page.
urlpatterns.append(re_path(r"^leaderboards(?:/.*)?$", not_found))
