"""Public paths (see shared design): each app contributes its own urls module."""

from django.contrib import admin
from django.urls import path

from geo import views

admin.site.site_header = "Gridmap 网格地图"
admin.site.site_title = "Gridmap"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
