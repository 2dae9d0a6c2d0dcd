from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from hedge.core.api import not_found
from hedge.core.schema import SchemaView

admin.site.site_header = "hedge administration"
admin.site.site_title = "hedge admin"
# hedge has no public site of its own: "View site" opens the API documentation.
admin.site.site_url = "/api/docs/"
admin.site.index_title = "Leaderboards, seasons and challenges"

# What Django refuses or fails at itself: JSON under the APIs, a 503 when the database failed (hedge.core.views).
handler400 = "hedge.core.views.bad_request"
handler500 = "hedge.core.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Unknown URLs under an API prefix (here, and at the end of each app's urls) answer JSON 404s.
    re_path(r"^api(?:/.*)?$", not_found),
    path("service/", include("seasons.api.service_urls")),
    path("service/", include("prizes.api.service_urls")),
    path("service/", include("profiles.api.service_urls")),
    path("", include("seasons.api.urls")),
    # Before leaderboards.api.urls, whose catch-all answers any other path under /leaderboards.
    path("", include("prizes.api.urls")),
    path("", include("profiles.api.urls")),
    path("", include("leagues.api.urls")),
    path("", include("leaderboards.api.urls")),
]
