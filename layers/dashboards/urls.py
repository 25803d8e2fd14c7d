"""Dashboard paths: / (the panorama), /dashboards/<level>/<code>/, /dashboards/workload/,
/dashboards/departments/ and /api/wall (the live wall's poll)."""

from django.urls import path, re_path

from layers.dashboards import views

urlpatterns = [
    path("", views.panorama, name="dashboard-panorama"),
    re_path(r"^dashboards/province/(?P<code>[0-9]{2})/$", views.province, name="dashboard-province"),
    re_path(r"^dashboards/city/(?P<code>[0-9]{4})/$", views.city, name="dashboard-city"),
    re_path(r"^dashboards/county/(?P<code>[0-9]{6})/$", views.county, name="dashboard-county"),
    re_path(r"^dashboards/township/(?P<code>[0-9]{9})/$", views.township, name="dashboard-township"),
    re_path(r"^dashboards/village/(?P<code>[0-9]{12})/$", views.village, name="dashboard-village"),
    re_path(r"^dashboards/grid/(?P<code>[0-9]{15,16})/$", views.grid, name="dashboard-grid"),
    path("dashboards/workload/", views.workload, name="dashboard-workload"),
    path("dashboards/departments/", views.departments, name="dashboard-departments"),
    path("api/wall", views.wall_feed, name="wall-feed"),
]
