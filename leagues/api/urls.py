from django.urls import path, re_path
from drf_spectacular.utils import extend_schema

from hedge.core.api import not_found

from .views import LeagueClusterHistoryView, LeagueClusterView, LeagueListView


def _with_trailing_slash(view_class):
    """The same view for the path with a trailing slash, left out of the API schema (one path per operation)."""
    alias = type(f"{view_class.__name__}TrailingSlash", (view_class,), {})
    return extend_schema(exclude=True)(alias).as_view()


urlpatterns = [
    path("leagues", LeagueListView.as_view(), name="league-list"),
    path("leagues/", _with_trailing_slash(LeagueListView)),
    path("leagues/<str:key>/clusters/<str:clusterId>", LeagueClusterView.as_view(), name="league-cluster"),
    path("leagues/<str:key>/clusters/<str:clusterId>/", _with_trailing_slash(LeagueClusterView)),
    path(
        "leagues/<str:key>/clusters/<str:clusterId>/history",
        LeagueClusterHistoryView.as_view(),
        name="league-cluster-history",
    ),
    path("leagues/<str:key>/clusters/<str:clusterId>/history/", _with_trailing_slash(LeagueClusterHistoryView)),
    # Anything else under /leagues is the API's JSON 404, never Django's HTML page.
    re_path(r"^leagues(?:/.*)?$", not_found),
]
