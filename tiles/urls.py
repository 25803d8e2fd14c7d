"""Tile paths: /tiles/ (catalog), /tiles/<layers>.json (TileJSON), /tiles/<layers>/<z>/<x>/<y>.pbf."""

from django.urls import path, re_path

from tiles import views

LAYERS = r"(?P<layers>[a-z_]+(?:,[a-z_]+)*)"
# The tile path, also matched by the fast path (tiles/fastpath.py) before Django sees the request.
TILE = rf"tiles/{LAYERS}/(?P<z>-?\d+)/(?P<x>-?\d+)/(?P<y>-?\d+)\.(?:pbf|mvt)"

urlpatterns = [
    path("tiles/", views.catalog, name="tiles-catalog"),
    re_path(rf"^tiles/{LAYERS}\.json$", views.tilejson, name="tilejson"),
    re_path(rf"^{TILE}\Z", views.tile, name="tile"),
]
