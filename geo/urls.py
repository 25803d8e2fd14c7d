"""Public paths (see shared design): each app contributes its own urls module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from geo import views
from geo.login import throttled

admin.site.site_header = "Gridmap 网格地图"
admin.site.site_title = "Gridmap"
# Read by admin.site.urls below: the admin's login page is throttled like /accounts/login/.
admin.site.login = throttled(admin.site.login)

# Django's own 400/404/500 answers in the JSON error shape on API paths; a database that is away is a 503.
handler400 = "geo.errors.bad_request"
handler404 = "geo.errors.not_found"
handler500 = "geo.errors.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("api/me", views.me, name="me"),
    path("api/openapi.json", views.openapi, name="openapi"),
    path("admin/", admin.site.urls),
    path("accounts/login/", throttled(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("grids.urls")),
    # field before layers: its api/incidents/<id>/cameras must not be taken for layers' <id>/<action>.
    path("", include("field.urls")),
    path("", include("layers.urls")),
    path("", include("tiles.urls")),
    path("", include("analysis.urls")),
    path("", include("reports.urls")),
    path("", include("people.urls")),
    path("", include("addresses.urls")),
]
