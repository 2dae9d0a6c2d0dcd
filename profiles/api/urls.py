from django.urls import path, re_path

from hedge.core.api import not_found, with_trailing_slash

from .views import ClusterHistoryView, ClusterProfileView, LatestMoversView, PreviousFinalMoversView, RunMoversView

urlpatterns = [
    path("clusters/<str:clusterId>", ClusterProfileView.as_view(), name="cluster-profile"),
    path("clusters/<str:clusterId>/", with_trailing_slash(ClusterProfileView)),
    path(
        "leaderboards/<str:key>/clusters/<str:clusterId>/history",
        ClusterHistoryView.as_view(),
        name="leaderboard-cluster-history",
    ),
    path("leaderboards/<str:key>/clusters/<str:clusterId>/history/", with_trailing_slash(ClusterHistoryView)),
]
for run, view, name in [
    ("latest", LatestMoversView, "latest"),
    ("runs/<str:runId>", RunMoversView, "run"),
    ("finals/previous", PreviousFinalMoversView, "finals-previous"),
]:
    urlpatterns += [
        path(f"leaderboards/<str:key>/{run}/movers", view.as_view(), name=f"leaderboard-{name}-movers"),
        path(f"leaderboards/<str:key>/{run}/movers/", with_trailing_slash(view)),
    ]
# Anything else under /clusters is the API's JSON 404, never Django's HTML page.
urlpatterns.append(re_path(r"^clusters(?:/.*)?$", not_found))
