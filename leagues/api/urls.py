from django.urls import path, re_path

from hedge.core.api import not_found, with_trailing_slash

from .views import LeagueClusterHistoryView, LeagueClusterView, LeagueListView

urlpatterns = [
    path("leagues", LeagueListView.as_view(), name="league-list"),
    path("leagues/", with_trailing_slash(LeagueListView)),
    path("leagues/<str:key>/clusters/<str:clusterId>", LeagueClusterView.as_view(), name="league-cluster"),
    path("leagues/<str:key>/clusters/<str:clusterId>/", with_trailing_slash(LeagueClusterView)),
    path(
        "leagues/<str:key>/clusters/<str:clusterId>/history",
        LeagueClusterHistoryView.as_view(),
        name="league-cluster-history",
    ),
    path("leagues/<str:key>/clusters/<str:clusterId>/history/", with_trailing_slash(LeagueClusterHistoryView)),
    # Anything else under /leagues is the API's JSON 404, never Django's HTML page.
    re_path(r"^leagues(?:/.*)?$", not_found),
]
