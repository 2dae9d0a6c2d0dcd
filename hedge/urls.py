from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "hedge administration"
admin.site.site_title = "hedge admin"
# hedge has no public site of its own: "View site" opens the API documentation.
admin.site.site_url = "/api/docs/"
admin.site.index_title = "Leaderboards, seasons and challenges"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("service/", include("seasons.service_urls")),
    path("", include("seasons.urls")),
    path("", include("leaderboards.urls")),
]
