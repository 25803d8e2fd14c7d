"""The browser files Gridmap's pages load: served by the app itself, or from pinned CDN URLs.

Folium links every page to CDNs (jsdelivr, cdnjs, unpkg, code.jquery.com, netdna), and Django's GIS
admin widget to jsdelivr. A county's command center often sits on an intranet that reaches none of
them, and a page without Leaflet or OpenLayers is a blank page, so with GRIDMAP_OFFLINE_ASSETS on (the
default) every file comes from a `static/vendor/` folder (each folder's README gives versions, sources
and licences). With it off, the same pinned versions come from public CDNs.

One registry for every page: the dashboards (layers/dashboards), the planner (grids/planner.py) and
the admin's map widget (geo/widgets.py). The files themselves live where the page that first needed
them put them: Leaflet and its dashboard plugins in layers/dashboards/static/vendor/, Leaflet.draw and
OpenLayers in geo/static/vendor/; `static()` finds a file in any app, and a test checks that each one
exists with its licence beside it.

Folium's other defaults (jQuery, Bootstrap, fonts, awesome-markers) are not used by these pages and
are dropped, so nothing is loaded that nobody needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from branca.element import Element
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from folium.elements import JSCSSMixin


@dataclass(frozen=True)
class Asset:
    path: str  # under STATIC_URL
    cdn: str  # the same file, same version, on a public CDN


VENDORED: dict[str, Asset] = {
    "leaflet": Asset("vendor/leaflet/leaflet.js", "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"),
    "leaflet_css": Asset("vendor/leaflet/leaflet.css",
                         "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css"),
    "vectorGrid": Asset("vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
                        "https://cdn.jsdelivr.net/npm/leaflet.vectorgrid@1.3.0/dist/Leaflet.VectorGrid.bundled.min.js"),
    "leaflet-heat.js": Asset("vendor/leaflet.heat/leaflet-heat.min.js",
                             "https://cdn.jsdelivr.net/gh/python-visualization/folium@v0.20.0/folium/templates/"
                             "leaflet_heat.min.js"),
    # The versions folium's Draw plugin and Django 5.2's OpenLayers widget link to.
    "leaflet_draw_js": Asset("vendor/leaflet.draw/leaflet.draw.js",
                             "https://cdn.jsdelivr.net/npm/leaflet-draw@1.0.2/dist/leaflet.draw.js"),
    "leaflet_draw_css": Asset("vendor/leaflet.draw/leaflet.draw.css",
                              "https://cdn.jsdelivr.net/npm/leaflet-draw@1.0.2/dist/leaflet.draw.css"),
    "ol": Asset("vendor/ol/ol.js", "https://cdn.jsdelivr.net/npm/ol@7.2.2/dist/ol.js"),
    "ol_css": Asset("vendor/ol/ol.css", "https://cdn.jsdelivr.net/npm/ol@7.2.2/ol.css"),
}
# Folium's Map defaults no Gridmap page uses (no markers, icons, jQuery popups or Bootstrap).
UNUSED = frozenset({"jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
                    "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"})


def url(name: str) -> str:
    """Where the page loads the named file from, under the current setting."""
    try:
        asset = VENDORED[name]
    except KeyError as exc:
        raise ImproperlyConfigured(f"browser asset {name!r} is not vendored in a static/vendor/ folder; "
                                   "add its files there and an entry to geo.assets.VENDORED") from exc
    return static(asset.path) if settings.GRIDMAP_OFFLINE_ASSETS else asset.cdn


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def localize(root: Element) -> None:
    """Point every folium element's JS/CSS links at the chosen source, dropping the unused ones.

    Sets the lists on each instance (never on folium's classes, which all maps of the process share).
    Call it after the map is complete and before rendering it.
    """
    for element in _walk(root):
        if isinstance(element, JSCSSMixin):
            element.default_js = [(n, url(n)) for n, _ in element.default_js if n not in UNUSED]
            element.default_css = [(n, url(n)) for n, _ in element.default_css if n not in UNUSED]
