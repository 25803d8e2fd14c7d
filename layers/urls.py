"""Public paths served by the layers app (included at the site root by geo/urls.py)."""

from django.urls import include, path, re_path

from layers.exports import views as export_views
from layers.figures import views as stats
from layers.incidents import open311_views as open311
from layers.incidents import views as incidents
from layers.ogc import views as ogc

FMT = r"\.(?P<fmt>json|xml)$"

# Incidents: intake, the closed loop, figures, Open311 (issue 6).
urlpatterns: list = [
    path("api/incidents", incidents.incidents, name="incidents"),
    path("api/incidents/<int:pk>", incidents.incident, name="incident"),
    path("api/incidents/<int:pk>/events", incidents.events, name="incident-events"),
    path("api/incidents/<int:pk>/<slug:name>", incidents.action, name="incident-action"),
    path("api/stats/workers", stats.workers, name="stats-workers"),
    path("api/stats/departments", stats.departments, name="stats-departments"),
    path("api/stats/workers/<str:employee_no>", stats.worker, name="stats-worker"),
    re_path(r"^api/stats/(?P<code>[0-9]{2,16})$", stats.unit, name="stats-unit"),
    re_path(r"^open311/v2/services" + FMT, open311.services, name="open311-services"),
    re_path(r"^open311/v2/services/(?P<code>[a-z_]+(?:\.[a-z_]+)?)" + FMT, open311.service_definition,
            name="open311-service"),
    re_path(r"^open311/v2/requests" + FMT, open311.requests, name="open311-requests"),
    re_path(r"^open311/v2/requests/(?P<pk>[0-9]+)" + FMT, open311.request_one, name="open311-request"),
]

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

# Situation-map dashboards (issue 7): /, /dashboards/...
urlpatterns += [
    path("", include("layers.dashboards.urls")),
]
