"""The admin's map widget works on an intranet: OpenLayers from the app, no OpenStreetMap tiles, the
configured basemap or else Gridmap's own area outlines, and a new area's map opens on the county."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point

from geo import assets
from grids.widgets import MapWidget, county_view, ol_url
from layers.models import Building
from tests.support.assets import REMOTE, asset_urls, local_file

PAGES = ["/admin/grids/area/add/", "/admin/layers/building/add/", "/admin/layers/incident/add/",
         "/admin/layers/place/add/"]


@pytest.fixture
def staff(client, tree):
    client.force_login(get_user_model().objects.create_superuser("map-admin", password="x" * 12))
    return client


@pytest.mark.parametrize("path", PAGES)
def test_map_pages_load_nothing_from_outside(staff, settings, path):
    settings.GRIDMAP_OFFLINE_ASSETS, settings.GRIDMAP_BASEMAP = True, "none"
    page = staff.get(path).content.decode()
    urls = asset_urls(page)
    assert assets.url("ol") in urls and assets.url("ol_css") in urls
    assert [u for u in urls if REMOTE.match(u)] == []
    for u in urls:
        if u.startswith("/static/"):
            local_file(u)
        else:
            assert staff.get(u).status_code == 200, u  # the admin's own /admin/jsi18n/
    # Django's default widget draws OpenStreetMap (ol.source.OSM) or NASA tiles from public hosts.
    assert "ol.source.OSM" not in page and "earthdata" not in page
    assert "new ol.format.MVT()" in page and "/tiles/grids/{z}/{x}/{y}.pbf" in page


def test_a_new_area_opens_on_the_county(staff, tree):
    lon, lat, zoom = county_view()
    page = staff.get("/admin/grids/area/add/").content.decode()
    assert f"options['default_lon'] = {lon};" in page and f"options['default_lat'] = {lat};" in page
    assert f"options['default_zoom'] = {zoom};" in page
    # The conftest county is 0.2° by 0.1° around 112.5° E, 35.05° N: 582 x 356 pixels at zoom 12 fit the
    # 600 x 400 map; zoom 13 would not.
    assert (round(lon, 2), round(lat, 2), zoom) == (112.5, 35.05, 12)


def test_an_existing_building_is_drawn_on_the_same_widget(staff):
    building = Building.objects.create(address_code="41900110320000001", name="楼", location=Point(112.45, 35.05))
    page = staff.get(f"/admin/layers/building/{building.pk}/change/").content.decode()
    assert "new MapWidget(options)" in page and "ol.source.OSM" not in page


@pytest.mark.parametrize("name, expected", [
    ("osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
    ("tianditu", "https://t{0-7}.tianditu.gov.cn/vec_w/wmts?"),
])
def test_a_configured_basemap_is_the_background(staff, settings, name, expected):
    settings.GRIDMAP_BASEMAP, settings.GRIDMAP_TIANDITU_KEY = name, "test-key"
    page = staff.get("/admin/grids/area/add/").content.decode()
    assert expected in page and "ol.source.OSM" not in page
    assert "new ol.format.MVT()" in page  # Gridmap's outlines over the basemap
    assert re.search(r"</a>", page.split("var basemap = ")[1].split(";")[0]) is None  # "<" escaped in the script


def test_cdn_mode_links_the_same_version(settings):
    settings.GRIDMAP_OFFLINE_ASSETS = False
    assert "https://cdn.jsdelivr.net/npm/ol@7.2.2/dist/ol.js" in str(MapWidget().media)


def test_ol_url_writes_subdomains_as_an_openlayers_range():
    from geo.basemap import sources
    assert ol_url(sources("tianditu", "k")[0]).startswith("https://t{0-7}.tianditu.gov.cn/")
    assert ol_url(sources("osm")[0]) == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
