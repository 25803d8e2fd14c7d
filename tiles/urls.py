"""Public paths served by the tiles app (included at the site root by geo/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
