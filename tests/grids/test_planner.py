"""The planner page: a Folium map with the draw tool, the grid, its neighbours and the redraw form."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from geo import assets, basemap
from geo.access import create_user
from tests.support.assets import REMOTE, asset_urls, css_urls, local_file, tile_layer_urls
from tests.support.grids import box, gj

W, E = "419001103200001", "419001103200002"


def login(client: Client, name: str, role: str, scope: str) -> None:
    """A session login (force_login: password hashing would be most of these tests' time)."""
    user, _ = create_user(name, role, scope)
    client.force_login(user)


def test_page_shows_the_grid_the_draw_tool_and_the_form(client, tree, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # GRIDMAP_LANGUAGE's default (tests/conftest.py pins English)
    login(client, "planner", "planner", "419001103")
    response = client.get(f"/planner/{W}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "L.Control.Draw" in page and "leaflet.draw" in page
    assert f"/api/areas/{W}/redraw/preview" in page and f"/api/areas/{W}/redraw/commit" in page
    assert f'<option value="{E}">' in page  # the neighbour, offered for the lost area
    assert "西网格" in page and "csrf" in page
    assert "<title>网格调整 " in page and "预览" in page  # zh-Hans, the default interface language
    assert json.dumps("绘制矩形")[1:-1] in page  # Leaflet.draw's toolbar too (L.drawLocal)


def test_names_are_escaped(client, tree):
    tree["east"].name = '<script>alert(1)</script>`${x}`'
    tree["east"].save()
    login(client, "planner", "planner", "419001103")
    page = client.get(f"/planner/{W}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    # The tooltip goes into a JavaScript template literal: backticks and ${ are escaped there.
    assert "&#96;&#36;{x}&#96;" in page


def test_anonymous_is_sent_to_login_and_other_roles_are_refused(client, tree):
    assert client.get(f"/planner/{W}/").status_code == 302
    login(client, "leader", "leader", "419001")
    assert client.get(f"/planner/{W}/").status_code == 403


def test_planner_outside_scope_gets_404_and_non_grids_400(client, tree):
    login(client, "p104", "planner", "419001104")
    assert client.get(f"/planner/{W}/").status_code == 404
    client.logout()
    login(client, "planner", "planner", "419001103")
    assert client.get("/planner/419001103200/").status_code == 400


def test_session_posts_need_the_csrf_token_and_token_posts_do_not(tree):
    browser = Client(enforce_csrf_checks=True)
    login(browser, "planner", "planner", "419001103")
    body = json.dumps({"boundary": gj(box(112.4, 35.0, 112.52, 35.1)), "gained_from": "neighbours"})
    url = f"/api/areas/{W}/redraw/preview"
    refused = browser.post(url, body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    page = browser.get(f"/planner/{W}/")
    token = page.cookies["csrftoken"].value
    assert browser.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token).status_code == 200
    _, key = create_user("script", "planner", "419001103")
    script = Client(enforce_csrf_checks=True)
    assert script.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
                       ).status_code == 200


def test_the_page_loads_nothing_from_outside(client, tree, settings):
    """Leaflet, Leaflet.draw and their images come from the app; folium's jQuery, Bootstrap and
    awesome-markers are not loaded at all (the planner uses none of them)."""
    settings.GRIDMAP_OFFLINE_ASSETS, settings.GRIDMAP_BASEMAP = True, "none"
    login(client, "planner", "planner", "419001103")
    page = client.get(f"/planner/{W}/").content.decode()
    urls = asset_urls(page)
    assert sorted(urls) == sorted(assets.url(n) for n in ("leaflet", "leaflet_css", "leaflet_draw_js",
                                                          "leaflet_draw_css"))
    assert [u for u in urls if REMOTE.match(u)] == [] and tile_layer_urls(page) == []
    for name in ("jquery", "bootstrap", "awesome-markers", "fontawesome", "glyphicons"):
        assert name not in page.lower()
    for u in urls:
        path = local_file(u)
        for inner in css_urls(path.read_text()) if path.suffix == ".css" else []:
            assert not REMOTE.match(inner), f"{u} loads {inner}"
            assert inner.startswith("data:") or (path.parent / inner.split("?")[0].split("#")[0]).exists(), inner
    settings.GRIDMAP_OFFLINE_ASSETS = False
    page = client.get(f"/planner/{W}/").content.decode()
    assert "https://cdn.jsdelivr.net/npm/leaflet-draw@1.0.2/dist/leaflet.draw.js" in asset_urls(page)


@pytest.mark.parametrize("name", ["osm", "tianditu"])
def test_a_configured_basemap_is_drawn_as_on_the_dashboards(client, tree, settings, name):
    """Folium's own tiles= wanted an attribution for these (a 500); the shared basemap code has one."""
    settings.GRIDMAP_BASEMAP, settings.GRIDMAP_TIANDITU_KEY = name, "test-key"
    login(client, "planner", "planner", "419001103")
    response = client.get(f"/planner/{W}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert tile_layer_urls(page) == [s.url for s in basemap.sources()]
    assert '"attribution"' in page


def test_the_panel_speaks_english_when_the_interface_does(client, tree, settings):
    settings.LANGUAGE_CODE = "en"
    login(client, "planner", "planner", "419001103")
    page = client.get(f"/planner/{W}/").content.decode()
    assert '<html lang="en">' in page and "<title>Gridmap planner " in page
    assert ">Preview</button>" in page and "预览" not in page
    assert "take gained area from the neighbours" in page and '"may_commit": "no gap or overlap' in page
    assert '"rectangle": "Draw a rectangle"' in page
