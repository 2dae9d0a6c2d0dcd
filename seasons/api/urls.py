from django.urls import re_path

from hedge.core.api import not_found

from .views import ActiveSeasonView, SeasonLevelsView, SeasonListView, SeasonProgressView, SeasonRewardsView

# A trailing slash is accepted too: clients add one as often as not.
urlpatterns = [
    re_path(r"^seasons(?:/)?$", SeasonListView.as_view(), name="seasons-list"),
    re_path(r"^seasons/active(?:/)?$", ActiveSeasonView.as_view(), name="seasons-active"),
    re_path(r"^seasons/(?P<seasonId>[^/]+)/progress(?:/)?$", SeasonProgressView.as_view(), name="seasons-progress"),
    re_path(r"^seasons/(?P<seasonId>[^/]+)/rewards(?:/)?$", SeasonRewardsView.as_view(), name="seasons-rewards"),
    re_path(r"^seasons/(?P<seasonId>[^/]+)/levels(?:/)?$", SeasonLevelsView.as_view(), name="seasons-levels"),
    # Anything else under the prefix is the API's JSON 404, never Django's HTML page.
    re_path(r"^seasons(?:/.*)?$", not_found),
]
