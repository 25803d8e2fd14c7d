"""Public paths of field work (included at the site root by geo/urls.py)."""

from django.urls import path

from field import views

urlpatterns = [
    path("api/patrols", views.patrols, name="patrols"),
    path("api/visits", views.visits, name="visits"),
    path("api/coverage/<str:code>", views.coverage, name="coverage"),
]
