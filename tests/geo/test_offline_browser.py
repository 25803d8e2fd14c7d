"""Every page on an intranet with no internet: headless Chromium with every non-loopback request blocked
opens the panorama, a township and a village drill-down, the workload page, the planner (draws a new
boundary with the mouse, previews it and commits it), and the admin's area add page (draws a new area
on the map widget) and change page, with zero console errors and zero failed requests.

One browser and one gunicorn for the file (they take a few seconds to start).
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from fixtures import mini
from geo.access import create_user
from grids.models import Area
from tests.support.chromium import Chromium, Server, chromium_binary, database_url

PASSWORD = "offline-test-password-1"
GRID = "419001103200001"  # 承留村第1网格: the village's north-west quarter, 112.50-112.55 E, 35.075-35.10 N


@pytest.fixture
def site(transactional_db, django_db_serialized_rollback):
    chromium_binary()  # fail here, with the install hint, rather than skip
    mini.load(seed=1, incidents=60)
    user, _ = create_user("offline-admin", "administrator", "", password=PASSWORD)
    user.is_superuser = True  # as `make run`'s admin (ensure_admin): the admin pages need model permissions
    user.save()
    server = Server(database_url(connection.settings_dict))
    browser = None
    try:
        browser = Chromium(width=1400, height=900, offline=True)
        browser.login(server.base, "offline-admin", PASSWORD, next_path="/?period=30d")
        yield server, browser
    finally:
        if browser is not None:
            browser.close()
        server.close()


def assert_clean(server: Server, browser: Chromium, path: str) -> None:
    """No console error or exception, no failed request, nothing but the server asked for, no 4xx/5xx."""
    log = browser.log
    assert log.errors == [], f"{path}: {log.errors}\n{server.stderr()[-2000:]}"
    assert log.failed == [], f"{path}: {log.failed}"
    assert all(url.startswith((server.base, "data:")) for url in log.responses), f"{path}: {log.responses}"
    assert {url: s for url, s in log.responses.items() if s >= 400} == {}, path


def click(browser: Chromium, x: float, y: float, count: int = 1) -> None:
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=count)


LEAFLET_MAP = "window[Object.keys(window).find(function (k) { return k.startsWith('map_'); })]"


def map_point(browser: Chromium, lon: float, lat: float) -> tuple[float, float]:
    """Page pixel of a point on the planner's Leaflet map."""
    xy = browser.evaluate(f"""(function () {{
        var map = {LEAFLET_MAP};
        var p = map.latLngToContainerPoint([{lat}, {lon}]), r = map.getContainer().getBoundingClientRect();
        return JSON.stringify([r.left + p.x, r.top + p.y]); }})()""")
    return tuple(json.loads(xy))


@pytest.mark.slow
def test_every_page_works_with_no_internet(site):
    server, browser = site
    # The blocking holds (or this test could not fail): a name and an IP literal are both unreachable.
    for url in ("https://unpkg.com/leaflet@1.9.4/dist/leaflet.js", "http://1.1.1.1/"):
        assert browser.evaluate(f"fetch('{url}', {{mode: 'no-cors'}}).then(() => 'reached', () => 'blocked')") \
            == "blocked", url
    for path in ("/?period=30d", "/dashboards/township/419001103/?period=30d",
                 "/dashboards/village/419001103200/?period=30d", "/dashboards/workload/"):
        browser.goto(server.base + path)
        assert browser.evaluate("location.pathname + location.search") == path, "not logged in?"
        assert_clean(server, browser, path)
        assert browser.evaluate("typeof L") == "object", f"{path}: no Leaflet"
        if path != "/dashboards/workload/":
            assert browser.evaluate("document.querySelectorAll('.leaflet-tile-pane svg path').length") > 0, path

    # The planner: draw a rectangle over the grid, 0.01° wider to the east (taken from 第2网格), preview, commit.
    path = f"/planner/{GRID}/"
    browser.goto(server.base + path)
    assert_clean(server, browser, path)
    assert browser.evaluate("document.getElementById('preview').textContent") == "预览"
    assert browser.evaluate("document.querySelector('.leaflet-draw-draw-rectangle').title") == "绘制矩形"
    # The whole village in view, clear of the panel on the right (the page opens fitted to the grid).
    browser.evaluate(f"void {LEAFLET_MAP}.fitBounds([[35.05, 112.50], [35.10, 112.60]], "
                     "{paddingTopLeft: [60, 60], paddingBottomRight: [400, 60], animate: false})")
    browser.wait_idle(settle=0.3)
    browser.evaluate("document.querySelector('.leaflet-draw-draw-rectangle').click()")
    (x0, y0), (x1, y1) = map_point(browser, 112.50, 35.10), map_point(browser, 112.56, 35.075)
    browser.send("Input.dispatchMouseEvent", type="mousePressed", x=x0, y=y0, button="left", clickCount=1)
    for step in range(1, 11):
        browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=x0 + (x1 - x0) * step / 10,
                     y=y0 + (y1 - y0) * step / 10, button="left")
    browser.send("Input.dispatchMouseEvent", type="mouseReleased", x=x1, y=y1, button="left", clickCount=1)
    browser.evaluate("""(function () {
        document.getElementById('snap_m').value = '20';
        document.getElementById('reason').value = '离线测试：向东扩展';
        document.getElementById('preview').click(); })()""")
    browser.wait_idle(settle=0.5)
    result = browser.evaluate("document.getElementById('result').innerText")
    assert "可以提交" in result, result
    assert "419001103200002" in result  # the neighbour that gives up the strip
    browser.evaluate("document.getElementById('commit').click()")
    browser.wait_idle(settle=0.5)
    assert "已提交" in browser.evaluate("document.getElementById('result').innerText")
    assert_clean(server, browser, path + " (preview, commit)")
    east = Area.objects.current().get(code=GRID).boundary.extent[2]
    assert abs(east - 112.56) < 0.0005, east

    # The admin: a new area drawn on the OpenLayers widget, over Gridmap's own outlines.
    path = "/admin/grids/area/add/"
    browser.goto(server.base + path)
    assert_clean(server, browser, path)
    assert browser.evaluate("typeof ol") == "object"
    assert any("/tiles/grids/" in url for url in browser.log.responses), "no outline tile requested"
    box = json.loads(browser.evaluate("JSON.stringify(document.querySelector('.dj_map').getBoundingClientRect())"))
    corners = [(0.3, 0.3), (0.6, 0.3), (0.6, 0.6), (0.3, 0.6)]
    for fx, fy in [*corners, corners[0]]:
        click(browser, box["left"] + box["width"] * fx, box["top"] + box["height"] * fy)
        browser.pump(0.1)
    drawn = json.loads(browser.evaluate("document.getElementById('id_boundary').value") or "null")
    assert drawn and drawn["type"] == "MultiPolygon" and len(drawn["coordinates"][0][0]) == 5, drawn
    assert browser.log.errors == []

    area = Area.objects.get(code=GRID)
    path = f"/admin/grids/area/{area.pk}/change/"
    browser.goto(server.base + path)
    assert_clean(server, browser, path)
    assert GRID in browser.evaluate("document.body.innerText")
