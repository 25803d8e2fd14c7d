"""/reports/<code>/<period>.pdf: a unit's monthly (YYYY-MM), quarterly (YYYY-Qn) or yearly (YYYY) report."""

from django.urls import re_path

from reports import views

# The period is matched loosely here and checked by reports.periods, so a bad one is a 400 naming it.
urlpatterns = [
    re_path(r"^reports/(?P<code>[^/]+)/(?P<period>[^/]+)\.pdf$", views.report, name="report-pdf"),
]
