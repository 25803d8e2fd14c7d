"""Public paths served by the grids app (included at the site root by geo/urls.py)."""

from django.urls import path

from grids import views

urlpatterns = [
    path("api/locate", views.locate_view, name="locate"),
    path("api/areas", views.area_list, name="area-list"),
    path("api/areas/merge", views.merge_view, name="area-merge"),
    path("api/areas/<str:code>", views.area_detail, name="area-detail"),
    path("api/areas/<str:code>/check", views.area_check, name="area-check"),
    path("api/areas/<str:code>/redraw/preview", views.redraw_preview, name="redraw-preview"),
    path("api/areas/<str:code>/redraw/commit", views.redraw_commit, name="redraw-commit"),
    path("api/areas/<str:code>/split", views.split_view, name="area-split"),
    path("planner/<str:code>/", views.planner_page, name="planner"),
]
