from django.urls import re_path

from .service import ClaimsView, PremiumGrantView

# Mounted under /service/ (hedge/urls.py). A trailing slash is accepted too.
urlpatterns = [
    re_path(r"^seasons/(?P<seasonId>[^/]+)/premium(?:/)?$", PremiumGrantView.as_view(), name="service-premium"),
    re_path(r"^seasons/(?P<seasonId>[^/]+)/claims(?:/)?$", ClaimsView.as_view(), name="service-claims"),
]
