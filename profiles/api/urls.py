from django.urls import path, re_path
from drf_spectacular.utils import extend_schema

from hedge.core.api import not_found

from .views import ClusterHistoryView, ClusterProfileView, LatestMoversView, PreviousFinalMoversView, RunMoversView


def _with_trailing_slash(view_class):
    """The same view for the path with a trailing slash, left out of the API schema (one path per operation)."""
    alias = type(f"{view_class.__name__}TrailingSlash", (view_class,), {})
    return extend_schema(exclude=True)(alias).as_view()


urlpatterns = [
    path("clusters/<str:clusterId>", ClusterProfileView.as_view(), name="cluster-profile"),
    path("clusters/<str:clusterId>/", _with_trailing_slash(ClusterProfileView)),
    path(
        "leaderboards/<str:key>/clusters/<str:clusterId>/history",
        ClusterHistoryView.as_view(),
        name="leaderboard-cluster-history",
    ),
    path("leaderboards/<str:key>/clusters/<str:clusterId>/history/", _with_trailing_slash(ClusterHistoryView)),
]
for run, view, name in [
    ("latest", LatestMoversView, "latest"),
    ("runs/<str:runId>", RunMoversView, "run"),
    ("finals/previous", PreviousFinalMoversView, "finals-previous"),
]:
    urlpatterns += [
        path(f"leaderboards/<str:key>/{run}/movers", view.as_view(), name=f"leaderboard-{name}-movers"),
        path(f"leaderboards/<str:key>/{run}/movers/", _with_trailing_slash(view)),
    ]
# Anything else under /clusters is the API's JSON 404, never Django's HTML page.
urlpatterns.append(re_path(r"^clusters(?:/.*)?$", not_found))
