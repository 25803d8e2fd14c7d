"""Public paths of field work (included at the site root by geo/urls.py)."""

from django.urls import path

from field import views

urlpatterns = [
    path("api/patrols", views.patrols, name="patrols"),
    path("api/visits", views.visits, name="visits"),
    path("api/cameras", views.cameras, name="cameras"),
    # Before layers' api/incidents/<id>/<action> (geo/urls.py includes field first): a GET, not a loop step.
    path("api/incidents/<int:pk>/cameras", views.incident_cameras, name="incident-cameras"),
    path("api/videopatrols", views.videopatrols, name="videopatrols"),
    path("api/coverage/<str:code>", views.coverage, name="coverage"),
]
