"""Intranet-ready dashboards: with offline assets on, every JS/CSS/font file a page loads is served by
Gridmap itself; the only remote URL left is the configured basemap's tiles."""

from __future__ import annotations

from pathlib import Path

import folium
import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured

from geo.access import create_user
from layers.dashboards import assets, basemap
from layers.dashboards.apps import check_basemap_settings
from tests.support.assets import REMOTE, asset_urls, css_urls, local_file, tile_layer_urls
from tests.support.dashboards import build_county, build_incidents

PAGES = ["/", "/dashboards/township/419001103/", "/dashboards/village/419001103200/",
         "/dashboards/grid/419001103200001/", "/dashboards/workload/", "/?lang=en&period=year"]


@pytest.fixture
def admin(client, db):
    build_county()
    build_incidents()
    client.force_login(create_user("assets-admin", "administrator", "")[0])
    return client


@pytest.mark.parametrize("url", PAGES)
def test_offline_pages_load_nothing_from_outside(admin, settings, url):
    settings.GRIDMAP_OFFLINE_ASSETS = True
    settings.GRIDMAP_BASEMAP = "none"
    text = admin.get(url).content.decode()
    urls = asset_urls(text)
    assert any(u.endswith("leaflet.js") for u in urls) and any(u.endswith("VectorGrid.bundled.min.js") for u in urls)
    assert [u for u in urls if REMOTE.match(u)] == []
    assert tile_layer_urls(text) == []
    for u in urls:
        if u.startswith("data:"):
            continue
        path = local_file(u)
        if path.suffix == ".css":
            # Images and fonts the stylesheet pulls in are relative, so also served locally.
            for inner in css_urls(path.read_text()):
                assert not REMOTE.match(inner), f"{u} loads {inner}"
                if not inner.startswith("data:"):
                    assert (path.parent / inner.split("?")[0].split("#")[0]).exists(), inner


def test_the_only_remote_url_is_the_chosen_basemap(admin, settings):
    settings.GRIDMAP_OFFLINE_ASSETS = True
    settings.GRIDMAP_BASEMAP = "tianditu"
    settings.GRIDMAP_TIANDITU_KEY = "test-key"
    text = admin.get("/").content.decode()
    assert [u for u in asset_urls(text) if REMOTE.match(u)] == []
    assert tile_layer_urls(text) == [s.url for s in basemap.sources()]
    assert all("tianditu.gov.cn" in u and "tk=test-key" in u for u in tile_layer_urls(text))
    settings.GRIDMAP_BASEMAP = "osm"
    assert tile_layer_urls(admin.get("/").content.decode()) == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]


def test_cdn_mode_uses_the_same_pinned_versions(admin, settings):
    settings.GRIDMAP_OFFLINE_ASSETS = False
    urls = asset_urls(admin.get("/").content.decode())
    remote = sorted(u for u in urls if REMOTE.match(u))
    dashboard_files = ("leaflet", "leaflet_css", "vectorGrid", "leaflet-heat.js")
    assert remote == sorted(assets.VENDORED[name].cdn for name in dashboard_files)
    assert all("@latest" not in u for u in remote)


def test_unused_folium_defaults_are_dropped_without_touching_folium(admin):
    text = admin.get("/").content.decode()
    for name in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers", "glyphicons"):
        assert name not in text.lower()
    # The instance lists were rewritten, not folium's class-level defaults shared by every map.
    assert any("jquery" in url for _, url in folium.Map.default_js)


def test_an_asset_that_is_not_vendored_fails_loudly():
    with pytest.raises(ImproperlyConfigured, match="not vendored"):
        assets.url("some-new-plugin.js")


def test_vendored_files_come_with_licences():
    """Every registered file (dashboards, planner, admin widget) is a static file with its licence beside it."""
    for asset in assets.VENDORED.values():
        found = finders.find(asset.path)
        assert found, f"{asset.path} is in geo.assets.VENDORED but no app's static/ has it"
        assert (Path(found).parent / "LICENSE").exists(), f"no licence beside {asset.path}"


@pytest.mark.parametrize("name, key, errors", [
    ("none", "", []), ("osm", "", []), ("tianditu", "k", []),
    ("tianditu", "", ["dashboards.E002"]), ("google", "", ["dashboards.E001"]),
])
def test_basemap_settings_are_checked_at_start(settings, name, key, errors):
    settings.GRIDMAP_BASEMAP, settings.GRIDMAP_TIANDITU_KEY = name, key
    assert [e.id for e in check_basemap_settings()] == errors
