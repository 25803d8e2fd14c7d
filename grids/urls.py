"""Public paths served by the grids app (included at the site root by geo/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
