from django.urls import path, re_path

from hedge.core.api import not_found, with_trailing_slash

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

# Each way of naming a run: its path, its page, cluster and clusters views, its URL names.
_RUN_READS = [
    ("latest", LatestPageView, LatestClusterView, LatestClustersView, "latest"),
    ("runs/<str:runId>", RunPageView, RunClusterView, RunClustersView, "run"),
    ("finals/previous", PreviousFinalPageView, PreviousFinalClusterView, PreviousFinalClustersView, "finals-previous"),
]

# Paths are exactly the public API's; the same paths with a trailing slash are also accepted.
urlpatterns = [
    path("leaderboards", LeaderboardListView.as_view(), name="leaderboard-list"),
    path("leaderboards/", with_trailing_slash(LeaderboardListView)),
    path("leaderboards/<str:key>/finals", LeaderboardFinalsView.as_view(), name="leaderboard-finals"),
    path("leaderboards/<str:key>/finals/", with_trailing_slash(LeaderboardFinalsView)),
]
for run, page, cluster, clusters, name in _RUN_READS:
    urlpatterns += [
        path(f"leaderboards/<str:key>/{run}", page.as_view(), name=f"leaderboard-{name}"),
        path(f"leaderboards/<str:key>/{run}/", with_trailing_slash(page)),
        path(f"leaderboards/<str:key>/{run}/clusters", clusters.as_view(), name=f"leaderboard-{name}-clusters"),
        path(f"leaderboards/<str:key>/{run}/clusters/", with_trailing_slash(clusters)),
        path(
            f"leaderboards/<str:key>/{run}/clusters/<str:clusterId>",
            cluster.as_view(),
            name=f"leaderboard-{name}-cluster",
        ),
        path(f"leaderboards/<str:key>/{run}/clusters/<str:clusterId>/", with_trailing_slash(cluster)),
    ]
# Anything else under the prefix is the API's JSON 404, never Django's HTML page.
urlpatterns.append(re_path(r"^leaderboards(?:/.*)?$", not_found))
