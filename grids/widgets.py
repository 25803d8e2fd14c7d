"""The admin's map widget, working with no internet: OpenLayers from the app, no OpenStreetMap tiles.

Django's GIS admin (OSMWidget) loads OpenLayers from jsdelivr and draws OpenStreetMap tiles, and on an
intranet an administrator then sees no map and cannot draw a new area. This widget is Django's own
OpenLayers widget (its OLMapWidget.js draws and edits unchanged) with three differences:

- OpenLayers comes from the vendored copy (geo/assets.py, GRIDMAP_OFFLINE_ASSETS);
- the background is Gridmap's own area outlines from its vector tiles (/tiles/grids/), over the
  configured basemap if there is one (geo/basemap.py, the dashboards' and the planner's): the
  administrator sees where the county, townships, villages and grids are, and with no basemap (the
  default) no request leaves the server;
- an empty field opens on the county (the extent of the top areas), not on Django's default of
  47° N 5° E.
"""

from __future__ import annotations

import json
import math

from django import forms
from django.contrib.gis.admin import GISModelAdmin
from django.contrib.gis.db.models import Extent
from django.contrib.gis.forms.widgets import OpenLayersWidget

from geo import assets, basemap


def ol_url(source: basemap.TileSource) -> str:
    """A Leaflet tile URL template as OpenLayers writes it: `{s}` becomes a range like `{0-7}`.

    The basemaps' subdomains are contiguous runs ("abc", "01234567"), which is what OpenLayers' `{a-c}`
    expands.
    """
    subdomains = source.subdomains
    return source.url.replace("{s}", f"{{{subdomains[0]}-{subdomains[-1]}}}")


# The map's size in pixels (Django's gis/css/ol3.css), to choose the zoom that shows the whole county.
MAP_PIXELS = (600, 400)


def county_view() -> tuple[float, float, int] | None:
    """Longitude, latitude and zoom that show the current top-level areas (the county); None with no areas."""
    from grids.models import Area  # imported by admin modules, before the models could be imported at the top

    box = Area.objects.current().filter(parent__isnull=True).aggregate(box=Extent("boundary"))["box"]
    if not box:
        return None
    west, south, east, north = box
    lat = (south + north) / 2
    # Web Mercator: 256 * 2**z pixels span 360° of longitude; a degree of latitude is 1/cos(lat) longer.
    span_x = max(east - west, 1e-6)
    span_y = max((north - south) / math.cos(math.radians(lat)), 1e-6)
    zoom = math.floor(min(math.log2(MAP_PIXELS[0] * 360 / (256 * span_x)),
                          math.log2(MAP_PIXELS[1] * 360 / (256 * span_y))))
    return (west + east) / 2, lat, max(1, min(zoom, 18))


class MapWidget(OpenLayersWidget):
    """Django's OpenLayers widget with vendored OpenLayers and Gridmap's basemap (see the module)."""

    template_name = "gis/gridmap-openlayers.html"

    @property
    def media(self) -> forms.Media:
        # A property, not a Media class: the setting decides at render time, as for the other pages.
        return forms.Media(css={"all": [assets.url("ol_css"), "gis/css/ol3.css"]},
                           js=[assets.url("ol"), "gis/js/OLMapWidget.js"])

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # JSON inside a <script>: "<" escaped so that no attribution's markup can close the element.
        context["basemap_layers"] = json.dumps(
            [{"url": ol_url(s), "attribution": s.attribution, "max_native_zoom": s.max_native_zoom}
             for s in basemap.sources()], ensure_ascii=False).replace("<", "\\u003c")
        context["outline_tiles"] = "/tiles/grids/{z}/{x}/{y}.pbf"
        context["county_view"] = county_view()
        return context


class MapAdmin(GISModelAdmin):
    """The GIS admin with this widget for every geometry field (areas, buildings, places, incidents)."""

    gis_widget = MapWidget
