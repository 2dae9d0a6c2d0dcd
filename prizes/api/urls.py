from django.urls import path
from drf_spectacular.utils import extend_schema

from .views import RunAwardsView

# Mounted at the root before leaderboards.api.urls (whose catch-all answers anything else under /leaderboards).
urlpatterns = [
    path("leaderboards/<str:key>/runs/<str:runId>/awards", RunAwardsView.as_view(), name="leaderboard-run-awards"),
    path(
        "leaderboards/<str:key>/runs/<str:runId>/awards/",
        extend_schema(exclude=True)(type("RunAwardsViewTrailingSlash", (RunAwardsView,), {})).as_view(),
    ),
]
