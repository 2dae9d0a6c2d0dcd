from django.urls import re_path

from .service import ClusterProfileView

# Mounted under /service/ (hedge/urls.py). A trailing slash is accepted too.
urlpatterns = [
    re_path(r"^clusters/(?P<clusterId>[^/]+)(?:/)?$", ClusterProfileView.as_view(), name="service-cluster-profile"),
]
