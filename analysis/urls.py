"""Paths of the leaders' analysis (included at the site root by geo/urls.py)."""

from django.urls import re_path

from analysis import page, views

# A province (2 digits), city (4), county (6), township (9) or village (12).
UNIT = r"(?P<code>[0-9]{2}|[0-9]{4}|[0-9]{6}(?:[0-9]{3}){0,2})"

urlpatterns = [
    re_path(rf"^analysis/{UNIT}/$", page.unit_page, name="analysis-page"),
    re_path(rf"^api/analysis/index/{UNIT}$", views.index_unit, name="analysis-index"),
    re_path(rf"^api/analysis/index/{UNIT}/trend$", views.index_trend, name="analysis-trend"),
    re_path(rf"^api/analysis/index/{UNIT}/map$", views.index_map, name="analysis-map"),
    re_path(rf"^api/analysis/warnings/{UNIT}$", views.warning_list, name="analysis-warnings"),
    re_path(rf"^api/analysis/threezero/{UNIT}$", views.threezero_list, name="analysis-threezero"),
]
