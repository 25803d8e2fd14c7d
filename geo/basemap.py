"""The basemap under every map page: none, OpenStreetMap or 天地图 (GRIDMAP_BASEMAP).

One definition for the dashboards, the planner and the admin's map widget, so that the three show the
same background and a setting that works for one works for all.

None is the default: a government intranet reaches no tile server, and the pages read well without
one (area outlines by level and area names give the context). OpenStreetMap and 天地图 are
WGS84/CGCS2000 Web Mercator tiles, so Gridmap's WGS84 data sits on them without the hundreds-of-metres
GCJ-02 offset of Amap or Tencent tiles; both need the internet at view time.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from django.conf import settings


@dataclass(frozen=True)
class TileSource:
    name: str
    url: str
    attribution: str
    subdomains: str = "abc"
    max_native_zoom: int = 18


TIANDITU = "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}" \
           "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"

BASEMAPS = ("none", "osm", "tianditu")


def sources(name: str | None = None, key: str | None = None) -> list[TileSource]:
    """The raster tile layers of a basemap setting (several for 天地图: the map, then its labels)."""
    name = settings.GRIDMAP_BASEMAP if name is None else name
    key = settings.GRIDMAP_TIANDITU_KEY if key is None else key
    if name == "osm":
        return [TileSource("OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                           '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
                           subdomains="abc", max_native_zoom=19)]
    if name == "tianditu":
        attribution = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>'
        return [TileSource("天地图", TIANDITU.format(layer="vec", key=key), attribution, "01234567"),
                TileSource("天地图注记", TIANDITU.format(layer="cva", key=key), attribution, "01234567")]
    return []


def add_basemap(m: folium.Map, name: str | None = None) -> list[TileSource]:
    """Add the configured basemap's layers to the map (nothing for "none"); returns them.

    Build the map with `tiles=None` and call this: folium's own `tiles=` wants an attribution for any
    tile URL it does not know by name, and a wrong name there is a 500 at view time.
    """
    chosen = sources(name)
    for source in chosen:
        folium.TileLayer(tiles=source.url, attr=source.attribution, name=source.name, overlay=False,
                         control=False, subdomains=source.subdomains, max_native_zoom=source.max_native_zoom,
                         max_zoom=18).add_to(m)
    return chosen
