"""A real headless Chromium loads the panorama and a township page from a real gunicorn: no console
errors, every asset from the app itself, tiles requested and answered 200/204 and drawn, and the
popup of a clicked area links down to its page.

One browser session for the whole file (Chromium and gunicorn take a few seconds to start). If
Chromium is missing the test fails with a message saying how to install it: `make test` installs it.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from django.db import connection

from fixtures import mini
from geo.access import create_user
from tests.support.chromium import Chromium, Server, chromium_binary, database_url

PASSWORD = "browser-test-password-1"
PAGES = ["/?period=30d", "/dashboards/township/419001103/?period=30d"]


@pytest.fixture
def site(transactional_db, django_db_serialized_rollback):
    """The mini demo county, committed so that gunicorn (another process) sees it, and a logged-in browser."""
    chromium_binary()  # fail here, with the install hint, rather than skip
    mini.load(seed=1, incidents=60)
    create_user("browser-admin", "administrator", "", password=PASSWORD)
    server = Server(database_url(connection.settings_dict))
    browser = None
    try:
        browser = Chromium(width=1400, height=900)
        browser.login(server.base, "browser-admin", PASSWORD, next_path=PAGES[0])
        yield server, browser
    finally:
        if browser is not None:
            browser.close()
        server.close()


def drawn_paths(browser: Chromium) -> int:
    return browser.evaluate("document.querySelectorAll('.leaflet-tile-pane svg path').length")


@pytest.mark.slow
def test_dashboards_load_in_chromium_and_draw_tiles(site):
    server, browser = site
    for path in PAGES:
        browser.goto(server.base + path)
        assert browser.evaluate("location.pathname + location.search") == path, "not logged in?"
        assert browser.log.errors == [], f"{path}: {browser.log.errors}\n{server.stderr()[-2000:]}"
        assert browser.log.failed == [], path
        responses = browser.log.responses
        assert all(url.startswith((server.base, "data:")) for url in responses), "a request left the server"
        tiles = {url: status for url, status in responses.items() if "/tiles/" in url}
        assert tiles, f"{path}: no tile requested"
        assert set(tiles.values()) <= {200, 204}, tiles
        assert any(status == 200 and "/tiles/grids/" in url for url, status in tiles.items())
        assert all(status == 200 for url, status in responses.items() if "/static/" in url)
        assert drawn_paths(browser) > 10, f"{path}: vector tiles not drawn"
        assert browser.evaluate("document.querySelectorAll('canvas.leaflet-heatmap-layer').length") == 1
        assert browser.evaluate("document.querySelectorAll('.gm-label').length") > 0
        # The loop's eight cards, the command desk's six (docs/desk.md), the people panel's eight (docs/people.md),
        # the three-zero panel's one (docs/analysis.md) and the coverage panel's six (docs/field.md).
        assert browser.evaluate("document.querySelectorAll('.gm-kpi').length") == 29

    # Click the middle of the township's map: the area's popup links to its own page.
    box = browser.evaluate("JSON.stringify(document.querySelector('.folium-map').getBoundingClientRect())")
    rect = json.loads(box)
    x, y = rect["x"] + rect["width"] * 0.3, rect["y"] + rect["height"] * 0.3
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
    browser.pump(0.5)
    link = browser.evaluate("(document.querySelector('.leaflet-popup-content a') || {}).href || ''")
    assert "/dashboards/grid/419001103" in link, link
    assert browser.log.errors == []

    # A fractional zoom (the layers redraw strokes after zooming) asks only for whole-zoom tiles.
    browser.log.errors.clear()
    browser.evaluate("void window[Object.keys(window).find(k => k.startsWith('map_'))].setZoom(10.5)")
    browser.wait_idle(settle=0.5)
    assert browser.log.errors == [] and browser.log.failed == []
    assert not [url for url in browser.log.responses if "/tiles/" in url and ".5/" in url]

    # The early-warnings layer (analysis/dashboards.py) is off until chosen, then fetched once from the
    # analysis route and drawn without an error.
    assert not [url for url in browser.log.responses if "/api/analysis/warnings/" in url]
    switched = browser.evaluate(
        "(function () { var label = Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
        ".find(l => ['预警', 'Early warnings'].indexOf(l.textContent.trim()) >= 0);"
        " if (!label) { return false; } label.querySelector('input').click(); return true; })()")
    assert switched, "no warnings layer in the layer switcher"
    browser.wait_idle(settle=0.5)
    fetched = {url: status for url, status in browser.log.responses.items() if "/api/analysis/warnings/" in url}
    assert list(fetched.values()) == [200] and "419001103?format=geojson" in next(iter(fetched)), fetched
    assert browser.log.errors == [] and browser.log.failed == []


LEGEND = "document.querySelector('.gm-legend').innerText"


def switch(browser: Chromium, name: str) -> None:
    """Tick or untick a layer in the layer switcher by its name, as a person would."""
    clicked = browser.evaluate(
        "(function () { var label = Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
        f".find(l => l.textContent.trim() === {json.dumps(name)});"
        " if (!label) { return false; } label.querySelector('input').click(); return true; })()")
    assert clicked, f"no layer {name!r} in the layer switcher"
    browser.wait_idle(settle=0.3)


@pytest.mark.slow
def test_the_legend_follows_the_layer_switcher(site):
    """Each layer brings its legend part (layers/dashboards/maps.py LAYERS): switching the people layer on
    shows the density classes, switching the workload on shows its classes, switching either off hides them."""
    server, browser = site
    browser.goto(server.base + "/?period=30d&lang=en")
    shown = browser.evaluate(LEGEND)
    assert "Incident density" in shown  # the heat map, on by default
    assert "no residents" not in shown and "Open per worker" not in shown and "2000+" not in shown
    switch(browser, "Residents per km²")
    with_people = browser.evaluate(LEGEND)
    assert "no residents" in with_people and "2000+" in with_people and "50–100" in with_people
    assert "Open per worker" not in with_people
    switch(browser, "Workload")
    assert "Open per worker" in browser.evaluate(LEGEND)
    switch(browser, "Residents per km²")
    switch(browser, "Incident heat map")
    without = browser.evaluate(LEGEND)
    assert "no residents" not in without and "Incident density" not in without and "Open per worker" in without
    switch(browser, "Workload")
    assert "Open per worker" not in browser.evaluate(LEGEND)
    assert browser.log.errors == [], browser.log.errors


def post_incident(server: Server, key: str) -> int:
    """Report a matter through the API, as a grid worker's app would, at a point inside a grid."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) AS p FROM grids_area "
                       "WHERE level = 4 ORDER BY code LIMIT 1) s")
        lon, lat = cursor.fetchone()
    body = json.dumps({"category": "dispute", "source": "grid_discovery", "subcategory": "neighbour",
                       "description": "wall test", "lon": lon, "lat": lat}).encode()
    request = urllib.request.Request(server.base + "/api/incidents", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())["properties"]["id"]


def wait_for(browser: Chromium, expression: str, seconds: float) -> float | None:
    """Seconds until `expression` is true in the page, or None if it is not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if browser.evaluate(expression):
            return time.monotonic() - started
        browser.pump(0.1)
    return None


@pytest.mark.slow
def test_wall_shows_a_new_matter_within_5_seconds_without_a_reload(site):
    server, browser = site
    _, key = create_user("browser-operator", "operator", "")
    browser.goto(server.base + "/?period=today")
    assert wait_for(browser, "document.body.hasAttribute('data-wall-cursor')", 10) is not None, "no first answer"
    intake = "document.querySelector(\".gm-kpi[data-kpi='intake'] .gm-kpi-value\").textContent"
    before = browser.evaluate(intake)
    browser.evaluate("window.sameDocument = true")

    pk = post_incident(server, key)
    took = wait_for(browser, f"!!document.querySelector(\".gm-tick-new[data-key='new:{pk}']\")", 5.0)
    assert took is not None, f"matter {pk} not in the ticker within 5 s\n{server.stderr()[-2000:]}"
    assert browser.evaluate("window.sameDocument === true"), "the page was reloaded"
    # The cards are recounted at most once per KPI_COST_FACTOR × their own cost (layers/dashboards/wall.py), so
    # on a loaded machine they may follow the ticker by a poll or two: they too must change within the 5 s.
    card = wait_for(browser, f"{intake} !== {json.dumps(before)}", max(1.0, 5.0 - took))
    assert card is not None, f"the intake card did not change within 5 s of the report (ticker: {took:.1f} s)"
    assert browser.evaluate(intake) == f"{int(before.replace(',', '')) + 1:,}"
    assert browser.evaluate("document.querySelectorAll('.gm-pulse').length") >= 1, "no pulsing marker"
    tick = browser.evaluate(f"document.querySelector(\"[data-key='new:{pk}']\").textContent")
    assert "wall test" not in tick
    assert browser.log.errors == [], browser.log.errors
    walls = {url: status for url, status in browser.log.responses.items() if "/api/wall" in url}
    assert walls and set(walls.values()) <= {200, 304}, walls
