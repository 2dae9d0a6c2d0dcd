from django.urls import re_path

from .service import AwardsView, SettleAwardView

# Mounted under /service/ (hedge/urls.py). A trailing slash is accepted too.
urlpatterns = [
    re_path(r"^awards(?:/)?$", AwardsView.as_view(), name="service-awards"),
    re_path(r"^awards/(?P<awardId>[^/]+)/settle(?:/)?$", SettleAwardView.as_view(), name="service-award-settle"),
]
