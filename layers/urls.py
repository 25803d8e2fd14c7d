"""Public paths served by the layers app (included at the site root by geo/urls.py)."""

from django.urls import include, path

urlpatterns: list = [
    # Situation-map dashboards (issue 7): /, /dashboards/...
    path("", include("layers.dashboards.urls")),
]
