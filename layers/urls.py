"""Public paths served by the layers app (included at the site root by geo/urls.py)."""

from django.urls import path, re_path

from layers.exports import views as export_views
from layers.ogc import views as ogc

urlpatterns: list = []

# Exports and OGC API - Features (issue 8).
urlpatterns += [
    path("api/export/", export_views.catalog, name="export-catalog"),
    re_path(r"^api/export/(?P<layer>[^/.]+)\.(?P<fmt>[^/]+)$", export_views.export, name="export"),
    path("ogc/", ogc.landing, name="ogc-landing"),
    path("ogc/api", ogc.api, name="ogc-api"),
    path("ogc/conformance", ogc.conformance, name="ogc-conformance"),
    path("ogc/collections", ogc.collections, name="ogc-collections"),
    path("ogc/collections/<str:collection_id>", ogc.collection, name="ogc-collection"),
    path("ogc/collections/<str:collection_id>/items", ogc.items, name="ogc-items"),
    path("ogc/collections/<str:collection_id>/items/<str:feature_id>", ogc.item, name="ogc-item"),
]
