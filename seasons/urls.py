from django.urls import re_path

from .api import ActiveSeasonView, SeasonProgressView
from .rewards_api import SeasonRewardsView

# A trailing slash is accepted too: clients add one as often as not.
urlpatterns = [
    re_path(r"^seasons/active(?:/)?$", ActiveSeasonView.as_view(), name="seasons-active"),
    re_path(r"^seasons/(?P<season_id>[^/]+)/progress(?:/)?$", SeasonProgressView.as_view(), name="seasons-progress"),
    re_path(r"^seasons/(?P<season_id>[^/]+)/rewards(?:/)?$", SeasonRewardsView.as_view(), name="seasons-rewards"),
]
