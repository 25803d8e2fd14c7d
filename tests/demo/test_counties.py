"""Many counties in one database (issue 21): two presets loaded side by side under their real cities and
province (陇西 621122 under 定西 6211, 玉门 620981 under 酒泉 6209, both under 甘肃 62). A county-scoped
user sees nothing of the other county by any path; a user of a city sees its county and not the other
city's; the province's user sees both; replacing one county leaves every row of the other as it was.

The two counties are loaded once for the module (committed: load_demo runs its own transaction) and
removed at the end.
"""

from __future__ import annotations

import datetime as dt
import json

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from fixtures import load as demo
from geo.access import clear_token_cache, create_user
from grids.models import Area

LONGXI, YUMEN = "621122", "620981"
AS_OF = "2026-11-20"
MONTH = "2026-10"
LOADS = {"longxi": ["--scale", "0.02", "--incidents", "400"], "yumen": ["--scale", "0.05", "--incidents", "300"]}
USERS = "cty-"


def load(scenario: str, *extra: str) -> None:
    call_command("load_demo", "--scenario", scenario, *LOADS[scenario], "--as-of", AS_OF, "--no-progress", *extra,
                 verbosity=0)


def rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def county_rows(code: str) -> dict[str, int]:
    """Every table a county owns, counted by the county's code (directly or through what a row points at),
    and the rollups' sums: what replacing another county must leave exactly as it was."""
    like = code + "%"
    queries = {
        "areas": "SELECT count(*) FROM grids_area WHERE code LIKE %(l)s",
        "versions": "SELECT count(*) FROM grids_boundaryversion WHERE area_code LIKE %(l)s",
        "parts": "SELECT count(*) FROM grids_areapart WHERE area_code LIKE %(l)s",
        "buildings": "SELECT count(*) FROM layers_building WHERE grid_code LIKE %(l)s",
        "rooms": "SELECT count(*) FROM layers_room r JOIN layers_building b ON b.id = r.building_id "
                 "WHERE b.grid_code LIKE %(l)s",
        "places": "SELECT count(*) FROM layers_place WHERE grid_code LIKE %(l)s",
        "workers": "SELECT count(*) FROM grids_worker WHERE employee_no LIKE 'W' || %(l)s",
        "assignments": "SELECT count(*) FROM grids_assignment WHERE area_code LIKE %(l)s",
        "incidents": "SELECT count(*) FROM layers_incident WHERE grid_code LIKE %(l)s",
        "events": "SELECT count(*) FROM layers_incidentevent e JOIN layers_incident i ON i.id = e.incident_id "
                  "WHERE i.grid_code LIKE %(l)s",
        "dispatches": "SELECT count(*) FROM layers_dispatch WHERE grid_code LIKE %(l)s",
        "supervision": "SELECT count(*) FROM layers_supervision WHERE grid_code LIKE %(l)s",
        "mediations": "SELECT count(*) FROM layers_mediation WHERE grid_code LIKE %(l)s",
        "departments": "SELECT count(*) FROM layers_department WHERE unit_code LIKE %(l)s",
        "people": "SELECT count(*) FROM people_residence r JOIN layers_room m ON m.id = r.room_id "
                  "JOIN layers_building b ON b.id = m.building_id WHERE b.grid_code LIKE %(l)s",
        "households": "SELECT count(*) FROM people_household h JOIN layers_room m ON m.id = h.room_id "
                      "JOIN layers_building b ON b.id = m.building_id WHERE b.grid_code LIKE %(l)s",
        "enterprises": "SELECT count(*) FROM people_enterprise e JOIN layers_building b ON b.id = e.building_id "
                       "WHERE b.grid_code LIKE %(l)s",
        "key persons": "SELECT count(*) FROM people_keytag k JOIN people_residence r ON r.person_id = k.person_id "
                       "JOIN layers_room m ON m.id = r.room_id JOIN layers_building b ON b.id = m.building_id "
                       "WHERE b.grid_code LIKE %(l)s",
        "tracks": "SELECT count(*) FROM field_trackpiece WHERE grid_code LIKE %(l)s",
        "track rows": "SELECT count(*) FROM field_track t JOIN grids_worker w ON w.id = t.worker_id "
                      "WHERE w.employee_no LIKE 'W' || %(l)s",
        "batches": "SELECT count(*) FROM field_patrolbatch b JOIN grids_worker w ON w.id = b.worker_id "
                   "WHERE w.employee_no LIKE 'W' || %(l)s",
        "visits": "SELECT count(*) FROM field_visit WHERE grid_code LIKE %(l)s",
        "coverage days": "SELECT count(*) FROM field_coverageday WHERE grid_code LIKE %(l)s",
        "building passes": "SELECT count(*) FROM field_buildingpass WHERE grid_code LIKE %(l)s",
        "cameras": "SELECT count(*) FROM field_camera c JOIN layers_place p ON p.id = c.place_ptr_id "
                   "WHERE p.grid_code LIKE %(l)s",
        "video patrols": "SELECT count(DISTINCT patrol_id) FROM field_videopatrolcamera WHERE grid_code LIKE %(l)s",
        "camera views": "SELECT count(*) FROM field_videopatrolcamera WHERE grid_code LIKE %(l)s",
        "follow-ups": "SELECT count(*) FROM people_followup f JOIN people_keytag k ON k.id = f.tag_id "
                      "JOIN people_residence r ON r.person_id = k.person_id JOIN layers_room m ON m.id = r.room_id "
                      "JOIN layers_building b ON b.id = m.building_id WHERE b.grid_code LIKE %(l)s",
        "rollup": "SELECT coalesce(sum(n), 0) FROM layers_incidentrollup WHERE area_code LIKE %(l)s",
        "open": "SELECT count(*) FROM layers_openincident WHERE grid_code LIKE %(l)s",
        "people rollup": "SELECT coalesce(sum(n), 0) FROM people_unitcount WHERE area_code LIKE %(l)s",
    }
    return {name: rows(q, {"l": like})[0][0] for name, q in queries.items()}


# A county's rows of the tables its field season, cameras and key-group follow-ups write, found by one key
# and checked against every other key they carry: (name, the rows' count, of them those touching anything
# outside the county). A county's rows are its own when the second count is 0.
OWN_ROWS = {
    "cameras": ("SELECT count(*), count(*) FILTER (WHERE c.channel_id NOT LIKE %(c)s || '%%' "
                "OR d.unit_code NOT LIKE %(c)s || '%%') FROM field_camera c "
                "JOIN layers_place p ON p.id = c.place_ptr_id "
                "LEFT JOIN layers_department d ON d.id = c.department_id WHERE p.grid_code LIKE %(c)s || '%%'"),
    "video patrols": ("SELECT count(DISTINCT p.id), count(DISTINCT p.id) FILTER (WHERE v.grid_code NOT LIKE %(c)s "
                      "|| '%%' OR cp.grid_code NOT LIKE %(c)s || '%%') FROM field_videopatrol p "
                      "JOIN grids_worker w ON w.id = p.worker_id JOIN field_videopatrolcamera v ON v.patrol_id = p.id "
                      "JOIN layers_place cp ON cp.id = v.camera_id WHERE w.employee_no LIKE 'W' || %(c)s || '%%'"),
    "tracks": ("SELECT count(DISTINCT t.id), count(DISTINCT t.id) FILTER (WHERE p.grid_code NOT LIKE %(c)s || '%%' "
               "OR bw.employee_no NOT LIKE 'W' || %(c)s || '%%') FROM field_track t "
               "JOIN grids_worker w ON w.id = t.worker_id JOIN field_trackpiece p ON p.track_id = t.id "
               "JOIN field_patrolbatch b ON b.id = t.batch_id LEFT JOIN grids_worker bw ON bw.id = b.worker_id "
               "WHERE w.employee_no LIKE 'W' || %(c)s || '%%'"),
    "visits": ("SELECT count(*), count(*) FILTER (WHERE w.employee_no NOT LIKE 'W' || %(c)s || '%%' "
               "OR b.grid_code NOT LIKE %(c)s || '%%' OR pl.grid_code NOT LIKE %(c)s || '%%') FROM field_visit v "
               "LEFT JOIN grids_worker w ON w.id = v.worker_id LEFT JOIN layers_room r ON r.id = v.room_id "
               "LEFT JOIN layers_building b ON b.id = r.building_id LEFT JOIN layers_place pl ON pl.id = v.place_id "
               "WHERE v.grid_code LIKE %(c)s || '%%'"),
    "coverage days": ("SELECT count(*), count(*) FILTER (WHERE w.employee_no NOT LIKE 'W' || %(c)s || '%%') "
                      "FROM field_coverageday c LEFT JOIN grids_worker w ON w.id = c.worker_id "
                      "WHERE c.grid_code LIKE %(c)s || '%%'"),
    "building passes": ("SELECT count(*), count(*) FILTER (WHERE b.grid_code IS DISTINCT FROM c.grid_code "
                        "OR w.employee_no NOT LIKE 'W' || %(c)s || '%%') FROM field_buildingpass c "
                        "LEFT JOIN layers_building b ON b.id = c.building_id "
                        "LEFT JOIN grids_worker w ON w.id = c.worker_id WHERE c.grid_code LIKE %(c)s || '%%'"),
    "follow-ups": ("SELECT count(*), count(*) FILTER (WHERE w.employee_no NOT LIKE 'W' || %(c)s || '%%' "
                   "OR b.grid_code NOT LIKE %(c)s || '%%') FROM people_followup f "
                   "JOIN people_keytag k ON k.id = f.tag_id JOIN people_residence r ON r.person_id = k.person_id "
                   "JOIN layers_room m ON m.id = r.room_id JOIN layers_building b ON b.id = m.building_id "
                   "LEFT JOIN grids_worker w ON w.id = f.worker_id WHERE r.moved_out IS NULL "
                   "AND b.grid_code LIKE %(c)s || '%%'"),
}


def coverage_rollup() -> list[tuple]:
    """Both coverage rollups, row by row (sums rounded: a recount may add the same pieces in another order)."""
    return (rows("SELECT grid_code, day, worker_id, round(length_m::numeric, 3), round(out_seconds::numeric, 3), "
                 "pieces FROM field_coverageday ORDER BY 1, 2, 3")
            + rows("SELECT grid_code, day, worker_id, building_id FROM field_buildingpass ORDER BY 1, 2, 3, 4"))


def walk(client, key: str, county: str, batch: str) -> None:
    """A worker's walk of two minutes inside a basic grid of the county, uploaded as a patrol batch."""
    lon, lat = rows("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) AS p FROM grids_area "
                    "WHERE level = 4 AND code LIKE %s ORDER BY code LIMIT 1) q", [county + "%"])[0]
    start = dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC)
    fixes = [[(start + dt.timedelta(seconds=10 * k)).isoformat(), lon + 0.00001 * k, lat, 5] for k in range(12)]
    response = client.post("/api/patrols", json.dumps({"batch_id": batch, "fixes": fixes}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code in (200, 201), response.content


@pytest.fixture(scope="module")
def counties(django_db_setup, django_db_blocker):
    from django.test import Client
    with django_db_blocker.unblock():
        load("longxi")
        load("yumen")
        clear_token_cache()
        client = Client()
        for county in (LONGXI, YUMEN):
            employee = rows("SELECT employee_no FROM grids_worker WHERE employee_no LIKE %s ORDER BY id LIMIT 1",
                            ["W" + county + "%"])[0][0]
            user, key = create_user(f"{USERS}walker-{county}", "grid_worker", county)
            user.gridmap.worker_no = employee
            user.gridmap.save()
            walk(client, key, county, f"walk-{county}")
        keys = {scope: create_user(f"{USERS}{scope}", "leader", scope, personal_data=True)[1]
                for scope in (LONGXI, YUMEN, "6211", "6209", "62")}
        yield keys
        with connection.cursor() as cur:
            demo.clear(cur)
        get_user_model().objects.filter(username__startswith=USERS).delete()


pytestmark = pytest.mark.django_db


def get(client, key: str, url: str):
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def without_links(body: bytes) -> bytes:
    """A JSON answer without its links (which repeat the query asked, the other county's code included)."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict):
        data.pop("links", None)
    return json.dumps(data, ensure_ascii=False).encode()


def tile_codes(client, key: str, layers: str, z: int, lon: float, lat: float) -> set[str]:
    """The area and grid codes of every feature of a tile around a point."""
    import math
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    status, body = get(client, key, f"/tiles/{layers}/{z}/{x}/{y}.pbf")
    if status == 204:  # an empty tile
        return set()
    assert status == 200
    codes = set()
    for layer in mapbox_vector_tile.decode(body).values():
        for feature in layer["features"]:
            props = feature["properties"]
            codes |= {str(props[k]) for k in ("code", "grid", "address_code") if props.get(k)}
    return codes


def centre(code: str) -> tuple[float, float]:
    return rows("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) AS p FROM grids_area "
                "WHERE code = %s) q", [code])[0]


# Every path a user reads data by, as (name, url with {code} for the county asked about).
PATHS = [
    ("areas", "/api/areas?parent={code}"),
    ("area", "/api/areas/{code}"),
    ("incidents", "/api/incidents?area={code}&limit=500"),
    ("stats", "/api/stats/{code}?children=1"),
    ("export", "/api/export/incidents.csv?area={code}"),
    ("export buildings", "/api/export/buildings.geojson?area={code}"),
    ("ogc", "/ogc/collections/incidents/items?area={code}&limit=500"),
    ("dashboard", "/dashboards/county/{code}/"),
    ("people", "/api/people?area={code}"),
    ("enterprises", "/api/enterprises?area={code}"),
    ("patrols", "/api/patrols?area={code}&since=2026-11-01&until=2026-11-30"),
    ("report", "/reports/{code}/" + MONTH + ".pdf"),
    ("coverage", "/api/coverage/{code}?since=2026-08-22&until=2026-11-19"),
    ("cameras", "/api/cameras?area={code}"),
    ("video patrols", "/api/videopatrols?area={code}&since=2026-08-01&until=2026-11-30"),
    ("follow-ups", "/api/people/{person}/followups"),
    ("safety index", "/api/analysis/index/{code}?period=" + MONTH + "&children=1"),
    ("index trend", "/api/analysis/index/{code}/trend?since=2026-08&until=" + MONTH),
    ("warnings", "/api/analysis/warnings/{code}?month=" + MONTH),
    ("three-zero", "/api/analysis/threezero/{code}?year=2026&ytd=1"),
    ("export index", "/api/export/safety_index.csv?period=" + MONTH + "&area={code}"),
    ("export three-zero", "/api/export/threezero.geojson?area={code}"),
    ("export people", "/api/export/people.csv?level=1&area={code}"),
    ("analysis page", "/analysis/{code}/?period=" + MONTH),
]


def fill(url: str, code: str) -> str:
    """A path for the county `code`: {person} is one of its residents with follow-ups."""
    if "{person}" not in url:
        return url.format(code=code)
    person = rows("SELECT k.person_id FROM people_followup f JOIN people_keytag k ON k.id = f.tag_id "
                  "JOIN people_residence r ON r.person_id = k.person_id AND r.moved_out IS NULL "
                  "JOIN layers_room m ON m.id = r.room_id JOIN layers_building b ON b.id = m.building_id "
                  "WHERE b.grid_code LIKE %s ORDER BY k.person_id LIMIT 1", [code + "%"])[0][0]
    return url.format(code=code, person=person)


@pytest.mark.parametrize(("name", "url"), PATHS)
def test_a_county_user_sees_nothing_of_the_other_county(client, counties, name, url):
    # The path serves the other county to the province's user (so the refusal below is not vacuous)…
    status, body = get(client, counties["62"], fill(url, YUMEN))
    assert status == 200, (name, body[:300])
    assert YUMEN.encode() in body or name == "report"
    # …and nothing of it to 陇西's user: refused as unknown (404), or a list with none of its rows.
    status, body = get(client, counties[LONGXI], fill(url, YUMEN))
    assert status in (403, 404) or (status == 200 and YUMEN.encode() not in without_links(body)), (name, status,
                                                                                                   body[:300])
    # The user's own county answers, and holds no row of the other.
    status, body = get(client, counties[LONGXI], fill(url, LONGXI))
    assert status == 200, (name, body[:300])
    assert YUMEN.encode() not in body


SEES_BOTH = ("/api/incidents?limit=500", "/api/areas?level=1", "/api/export/incidents.csv", "/api/export/grids.geojson",
             "/api/patrols?since=2026-11-01&until=2026-11-30", "/ogc/collections/counties/items")


@pytest.mark.parametrize("url", ["/api/incidents?limit=500", "/api/areas?level=1", "/api/export/incidents.csv",
                                 "/api/export/grids.geojson", "/ogc/collections/buildings/items?limit=1000",
                                 "/ogc/collections/counties/items",
                                 "/api/people", "/api/patrols?since=2026-11-01&until=2026-11-30",
                                 "/api/stats/workers", "/", "/dashboards/workload/", "/dashboards/departments/"])
def test_unfiltered_paths_stay_inside_the_scope(client, counties, url):
    status, body = get(client, counties[LONGXI], url)
    assert status == 200, body[:300]
    assert YUMEN.encode() not in body
    assert "玉门".encode() not in body
    status, body = get(client, counties["62"], url)
    assert status == 200
    if url in SEES_BOTH:
        assert YUMEN.encode() in body and LONGXI.encode() in body, url


def test_cities_and_the_province_see_their_counties(client, counties):
    for scope, seen, unseen in (("6211", LONGXI, YUMEN), ("6209", YUMEN, LONGXI)):
        status, body = get(client, counties[scope], "/api/incidents?limit=500")
        assert status == 200
        assert unseen.encode() not in body and seen.encode() in body, scope
        assert get(client, counties[scope], f"/api/stats/{unseen}")[0] == 404
        assert get(client, counties[scope], f"/dashboards/county/{unseen}/")[0] == 404
    # The province's figures are its two counties' added up; the city's are its county's.
    stats = {code: json.loads(get(client, counties["62"], f"/api/stats/{code}?since=2024-01-01")[1])["figures"]
             for code in ("62", "6211", "6209", LONGXI, YUMEN)}
    for figure in ("intake", "open", "closed", "overdue"):
        assert stats["62"][figure] == stats[LONGXI][figure] + stats[YUMEN][figure] > 0 or figure == "open"
        assert stats["6211"][figure] == stats[LONGXI][figure]
        assert stats["6209"][figure] == stats[YUMEN][figure]
    children = json.loads(get(client, counties["62"], "/api/stats/62?children=1")[1])["children"]
    assert sorted(c["code"] for c in children) == ["6209", "6211"]
    # The drill-down starts at the province and ranks its cities, then a city's counties.
    for url in ("/", "/dashboards/province/62/", "/dashboards/city/6209/", f"/dashboards/county/{YUMEN}/"):
        status, body = get(client, counties["62"], url)
        assert status == 200, url
    assert b"/dashboards/city/6211/" in get(client, counties["62"], "/dashboards/province/62/")[1]
    assert f"/dashboards/county/{YUMEN}/".encode() in get(client, counties["62"], "/dashboards/city/6209/")[1]


def test_tiles_show_only_the_scope(client, counties):
    lon, lat = centre(YUMEN)
    for z in (5, 8, 11):
        mine = tile_codes(client, counties[LONGXI], "grids,incidents,workload,people", z, lon, lat)
        assert not any(c.startswith(YUMEN) for c in mine), z
        theirs = tile_codes(client, counties["62"], "grids,incidents,workload,people", z, lon, lat)
        assert any(c.startswith(YUMEN) for c in theirs), z
    # At a province's zoom the province, its cities and counties are drawn, counted per county.
    top = tile_codes(client, counties["62"], "grids,incidents", 5, lon, lat)
    assert {"62", "6209", YUMEN} <= top


def test_the_administrator_site_is_closed_to_a_county_user(client, counties):
    status, _ = get(client, counties[LONGXI], "/admin/layers/incident/")
    assert status in (302, 403)


def test_provinces_and_cities_are_collections_and_export_levels(client, counties):
    status, body = get(client, counties["62"], "/ogc/collections/provinces/items")
    assert status == 200 and [f["properties"]["code"] for f in json.loads(body)["features"]] == ["62"]
    status, body = get(client, counties["62"], "/ogc/collections/cities/items")
    assert sorted(f["properties"]["code"] for f in json.loads(body)["features"]) == ["6209", "6211"]
    status, body = get(client, counties["62"], "/api/export/grids.geojson?level=0")
    assert status == 200 and sorted(f["properties"]["code"] for f in json.loads(body)["features"]) == ["6209", "6211"]
    # A county's user is below both: neither its city nor its province is served to it.
    status, body = get(client, counties[LONGXI], "/ogc/collections/cities/items")
    assert status == 200 and json.loads(body)["features"] == []


def test_tree_and_ids(counties):
    tree = dict(rows("SELECT code, parent_code FROM grids_area WHERE level <= 1"))
    assert tree == {"62": None, "6211": "62", "6209": "62", LONGXI: "6211", YUMEN: "6209"}
    assert Area.objects.get(code="62").kind == "province"
    # The province's boundary covers both counties.
    assert rows("SELECT ST_Covers(p.boundary, ST_PointOnSurface(c.boundary)) FROM grids_area p, grids_area c "
                "WHERE p.code = '62' AND c.code = %s", [YUMEN])[0][0]
    # Ids of one county's rows never overlap the other's.
    ranges = dict((c, (lo, hi)) for c, lo, hi in rows(
        "SELECT left(grid_code, 6), min(id), max(id) FROM layers_incident GROUP BY 1"))
    assert ranges[LONGXI][1] < ranges[YUMEN][0] or ranges[YUMEN][1] < ranges[LONGXI][0]


def test_each_county_owns_its_field_season_cameras_and_follow_ups(counties):
    """The per-county stages (cameras, the field season, follow-ups) wrote each county's rows from its own
    places, grids, workers and tags: non-empty, and none of them touches the other county."""
    for county in (LONGXI, YUMEN):
        for name, query in OWN_ROWS.items():
            total, foreign = rows(query, {"c": county})[0]
            assert total > 0 and foreign == 0, (county, name, total, foreign)
    # Ids written by the loader (shifted past the other county's) and channel ids never shared.
    for table in ("field_videopatrol", "field_track", "people_followup"):
        query = {"field_videopatrol": "SELECT left(w.employee_no, 7), min(p.id), max(p.id) FROM field_videopatrol p "
                                      "JOIN grids_worker w ON w.id = p.worker_id GROUP BY 1",
                 "field_track": "SELECT left(w.employee_no, 7), min(t.id), max(t.id) FROM field_track t "
                                "JOIN grids_worker w ON w.id = t.worker_id WHERE t.username LIKE 'demo:%%' GROUP BY 1",
                 "people_followup": "SELECT left(w.employee_no, 7), min(f.id), max(f.id) FROM people_followup f "
                                    "JOIN grids_worker w ON w.id = f.worker_id GROUP BY 1"}[table]
        ranges = {c[1:]: (lo, hi) for c, lo, hi in rows(query)}
        assert ranges[LONGXI][1] < ranges[YUMEN][0], (table, ranges)
    assert coverage_rollup() == coverage_rollup_rebuilt()


def coverage_rollup_rebuilt() -> list[tuple]:
    """The rollup field_coverage_rebuild() gives (inside the test's transaction, rolled back after it)."""
    with connection.cursor() as cur:
        cur.execute("SELECT field_coverage_rebuild()")
    return coverage_rollup()


def test_loading_a_county_again_is_refused_and_replace_touches_no_other_county(counties):
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match=f"county {YUMEN} is already loaded; use --replace"):
        load("yumen")
    before = county_rows(LONGXI)
    yumen_before = county_rows(YUMEN)
    assert all(v > 0 for v in before.values()), before
    walked = rows("SELECT count(*) FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id "
                  "WHERE p.grid_code LIKE %s AND t.username NOT LIKE 'demo:%%'", [YUMEN + "%"])[0][0]
    assert walked > 0
    load("yumen", "--replace")
    assert county_rows(LONGXI) == before
    after = county_rows(YUMEN)
    # The same seed gives the same county again; the walk was 玉门's and went with it (its rollup rows too).
    walk_keys = ("tracks", "track rows", "batches", "coverage days", "building passes")
    assert {k: v for k, v in after.items() if k not in walk_keys} == {k: v for k, v in yumen_before.items()
                                                                      if k not in walk_keys}
    assert after["tracks"] == yumen_before["tracks"] - walked
    assert after["track rows"] == yumen_before["track rows"] - 1 and after["batches"] == yumen_before["batches"] - 1
    assert rows("SELECT count(*) FROM field_track WHERE username NOT LIKE 'demo:%%' AND worker_id IN "
                "(SELECT id FROM grids_worker WHERE employee_no LIKE %s)", ["W" + YUMEN + "%"])[0][0] == 0
    # The rollups kept by the triggers through the delete and recounted for 玉门's keys are a rebuild's.
    assert coverage_rollup() == coverage_rollup_rebuilt()
    # --remove deletes every row of 玉门 in each of these tables, and none of 陇西's.
    call_command("load_demo", "--scenario", "yumen", "--remove", verbosity=0)
    assert county_rows(LONGXI) == before
    assert all(v == 0 for v in county_rows(YUMEN).values()), county_rows(YUMEN)
    assert coverage_rollup() == coverage_rollup_rebuilt()
    load("yumen")
    assert county_rows(YUMEN) == after


# ------------------------------------------------------------------------- figures above the county

ABOVE = ("62", "6211", "6209")
# Every path of a unit's figures, asked for a city or the province (`{code}`): a county's user is below both,
# so each is refused (404: an ancestor of the scope is outside it) or lists nothing of the other county.
ABOVE_PATHS = [
    "/api/stats/{code}?children=1",
    "/api/areas/{code}",
    "/api/analysis/index/{code}?period=" + MONTH + "&children=1",
    "/api/analysis/index/{code}/trend?since=2026-08&until=" + MONTH,
    "/api/analysis/index/{code}/map?period=" + MONTH,
    "/api/analysis/warnings/{code}?month=" + MONTH,
    "/api/analysis/threezero/{code}?year=2026&ytd=1",
    "/analysis/{code}/?period=" + MONTH,
    "/reports/{code}/" + MONTH + ".pdf",
    "/dashboards/{kind}/{code}/",
    "/api/export/safety_index.csv?period=" + MONTH + "&area={code}&level={level}",
    "/api/export/threezero.csv?area={code}&level={level}",
    "/api/export/people.csv?area={code}&level={level}",
    "/ogc/collections/safety_index_{kinds}/items?period=" + MONTH + "&area={code}",
    "/ogc/collections/threezero_{kinds}/items?area={code}",
    "/ogc/collections/people_{kinds}/items?area={code}",
]


def above(url: str, code: str) -> str:
    kind, kinds, level = ("province", "provinces", -1) if len(code) == 2 else ("city", "cities", 0)
    return url.format(code=code, kind=kind, kinds=kinds, level=level)


@pytest.mark.parametrize("url", ABOVE_PATHS)
def test_a_county_user_never_sees_its_city_or_province(client, counties, url):
    for code in ABOVE:
        # The province's user is served the unit (so the refusal below is not vacuous)…
        status, body = get(client, counties["62"], above(url, code))
        assert status == 200, (url, code, body[:300])
        if not url.startswith("/reports/"):
            assert code.encode() in body, (url, code)
        # …陇西's user is not: its city and province hold the other county's figures.
        status, body = get(client, counties[LONGXI], above(url, code))
        assert status in (403, 404) or (status == 200 and f'"{code}"'.encode() not in without_links(body)
                                         and f"\n{code},".encode() not in body and YUMEN.encode() not in body), (
            url, code, status, body[:300])
    # A city's user sees its own city, and neither the province nor the other city.
    assert get(client, counties["6211"], above(url, "6211"))[0] == 200, url
    for code in ("62", "6209"):
        status, body = get(client, counties["6211"], above(url, code))
        assert status in (403, 404) or (status == 200 and f'"{code}"'.encode() not in without_links(body)
                                         and YUMEN.encode() not in body), (url, code, status, body[:300])


def api(client, key: str, url: str) -> dict:
    status, body = get(client, key, url)
    assert status == 200, (url, body[:300])
    return json.loads(body)


def test_the_index_above_the_county_is_the_formula_over_its_counties_summed_inputs(client, counties):
    from layers.figures.counts import local_midnight

    key = counties["62"]
    scores = {code: api(client, key, f"/api/analysis/index/{code}?period={MONTH}")["index"]
              for code in ("62", "6211", "6209", LONGXI, YUMEN)}
    parts = {code: {p["key"]: p for p in s["parts"]} for code, s in scores.items()}
    assert scores["62"]["score"] is not None and scores["62"]["level"] == -1
    # A city of one county is that county, whichever prefix computed it.
    for city, county in (("6211", LONGXI), ("6209", YUMEN)):
        assert scores[city]["score"] == scores[county]["score"]
        assert parts[city] == parts[county]
    # Disputes per 1,000 residents of the province: its matters of the class over its people, counted here.
    since, until = local_midnight(dt.date(2026, 10, 1)), local_midnight(dt.date(2026, 11, 1))
    disputes = rows("SELECT count(*) FROM layers_incident WHERE grid_code LIKE '62%%' AND category = 'dispute' "
                    "AND reported_at >= %s AND reported_at < %s", [since, until])[0][0]
    people = rows("SELECT count(*) FROM people_residence r JOIN layers_room m ON m.id = r.room_id "
                  "JOIN layers_building b ON b.id = m.building_id WHERE r.moved_out IS NULL "
                  "AND b.grid_code LIKE '62%%'")[0][0]
    assert disputes > 0 and people > 0
    assert parts["62"]["rate_dispute"]["value"] == pytest.approx(disputes / people * 1000, abs=1e-4)
    # Closed ÷ intake of the month: the counties' /api/stats answers added up, not a mean of their rates.
    figures = [api(client, key, f"/api/stats/{c}?since=2026-10-01&until=2026-10-31")["figures"]
               for c in (LONGXI, YUMEN)]
    closed, intake = sum(f["closed"] for f in figures), sum(f["intake"] for f in figures)
    assert parts["62"]["closure_rate"]["value"] == pytest.approx(closed / intake, abs=1e-4)
    # The score is the formula over those values: Σ points = score, each part's points w·s ÷ Σw.
    used = [p for p in scores["62"]["parts"] if p["sub_score"] is not None]
    total = sum(p["weight"] for p in used)
    assert scores["62"]["score"] == pytest.approx(sum(p["weight"] * p["sub_score"] for p in used) / total, abs=0.01)
    # The province ranks its cities, a city its counties; the trend and the map answer for both.
    ranked = api(client, key, f"/api/analysis/index/62?period={MONTH}&children=1")["children"]
    assert sorted(c["code"] for c in ranked) == ["6209", "6211"] and [c["rank"] for c in ranked] == [1, 2]
    assert ranked[0]["score"] >= ranked[1]["score"]
    assert [c["code"] for c in api(client, key, f"/api/analysis/index/6211?period={MONTH}&children=1")["children"]] \
        == [LONGXI]
    trend = api(client, key, f"/api/analysis/index/62/trend?since=2026-08&until={MONTH}")["months"]
    assert [m["period"] for m in trend][-1] == MONTH and trend[-1]["score"] == scores["62"]["score"]
    features = api(client, key, f"/api/analysis/index/62/map?period={MONTH}")["features"]
    assert sorted(f["properties"]["code"] for f in features) == ["6209", "6211"]


def test_warnings_above_the_county_test_its_counties_against_their_own_baselines(client, counties):
    import numpy as np

    from analysis import warnings
    from layers.figures.counts import local_midnight

    month = dt.date(2026, 10, 1)
    fit = warnings.fit(Area.objects.get(code="62"), month)
    assert fit.tested == [(YUMEN, 1), (LONGXI, 1)]
    # Each county's matters this month and in the 12 before, counted here.
    history = [dt.date(2025 + (m >= 0), (m % 12) + 1, 1) for m in range(-3, 9)]  # 2025-10 .. 2026-09
    assert len(history) == 12 and history[0] == dt.date(2025, 10, 1) and history[-1] == dt.date(2026, 9, 1)

    def count(code: str, first: dt.date) -> int:
        end = (first + dt.timedelta(days=32)).replace(day=1)
        return rows("SELECT count(*) FROM layers_incident WHERE grid_code LIKE %s AND reported_at >= %s "
                    "AND reported_at < %s", [code + "%", local_midnight(first), local_midnight(end)])[0][0]

    counts = {c: [count(c, m) for m in history] for c in (YUMEN, LONGXI)}
    assert list(fit.observed) == [count(YUMEN, month), count(LONGXI, month)]
    province = np.array(counts[YUMEN], dtype=float) + np.array(counts[LONGXI], dtype=float)
    season = province[0] / province.mean() if province.min() > 0 else 1.0  # the province's own season
    expected = [(sum(counts[c]) + 0.5) / 12 * season for c in (YUMEN, LONGXI)]
    assert list(fit.expected) == pytest.approx(expected)
    # The API answers the same test: only counties can be warned above the county, each in its sentence.
    body = api(client, counties["62"], f"/api/analysis/warnings/62?month={MONTH}")
    assert all(w["code"] in (YUMEN, LONGXI) and w["level"] == 1 for w in body["warnings"])
    assert sorted(w["code"] for w in body["warnings"]) == [code for i, (code, _level) in enumerate(fit.tested)
                                                           if fit.observed[i] >= warnings.MIN_COUNT and fit.cut > 0
                                                           and fit.p[i] <= fit.cut]


def test_a_city_or_province_is_three_zero_when_all_its_counties_are(client, counties):
    key = counties["62"]
    province = api(client, key, "/api/analysis/threezero/62?year=2026&ytd=1")
    units = {u["code"]: u for u in province["units"]}
    counties_ = {c: api(client, key, f"/api/analysis/threezero/{c}?year=2026&ytd=1") for c in (LONGXI, YUMEN)}
    below = {u["code"]: u for body in counties_.values() for u in body["units"]}
    # Every county, township and village is judged as its county's own answer judges it.
    assert {c: u for c, u in units.items() if len(c) >= 6} == below
    assert not all(u["three_zero"] for u in below.values())  # something to combine
    for top, members in (("62", (LONGXI, YUMEN)), ("6211", (LONGXI,)), ("6209", (YUMEN,))):
        assert units[top]["three_zero"] == all(below[c]["three_zero"] for c in members)
        first: dict[str, dict] = {}
        for c in members:
            for b in below[c]["broken"]:
                if b["criterion"] not in first or (b["reported_at"], b["incident"]) < (
                        first[b["criterion"]]["reported_at"], first[b["criterion"]]["incident"]):
                    first[b["criterion"]] = b
        assert units[top]["broken"] == [first[k] for k in sorted(first)]
    # The counts per county are the counties' villages.
    for c in (LONGXI, YUMEN):
        villages = [u for u in counties_[c]["units"] if u["level"] == 3]
        assert province["per_county"][c] == {"villages": len(villages),
                                             "three_zero": sum(u["three_zero"] for u in villages)}
    # As files and OGC features: the province's and the cities' rows at level -1 and 0.
    status, body = get(client, key, "/api/export/threezero.geojson?level=0")
    assert status == 200
    found = {f["properties"]["code"]: f["properties"]["three_zero"] for f in json.loads(body)["features"]}
    assert found == {"6211": units["6211"]["three_zero"], "6209": units["6209"]["three_zero"]}
    status, body = get(client, key, f"/ogc/collections/safety_index_provinces/items?period={MONTH}")
    score = api(client, key, f"/api/analysis/index/62?period={MONTH}")["index"]["score"]
    assert [(f["properties"]["code"], f["properties"]["score"]) for f in json.loads(body)["features"]] == [
        ("62", score)]


def test_people_counts_above_the_county_add_up_and_hide_small_key_groups(client, counties, settings):
    from people.models import KeyGroup

    personal = counties["62"]
    _user, plain = create_user(f"{USERS}62-plain", "leader", "62")
    people = {code: api(client, personal, f"/api/stats/{code}")["people"]["unit"]
              for code in ("62", "6211", "6209", LONGXI, YUMEN)}
    for figure in ("population", "households", "enterprises"):
        assert people["62"][figure] == people[LONGXI][figure] + people[YUMEN][figure] > 0
        assert people["6211"][figure] == people[LONGXI][figure] and people["6209"][figure] == people[YUMEN][figure]
    population = rows("SELECT count(*) FROM people_residence r JOIN layers_room m ON m.id = r.room_id "
                      "JOIN layers_building b ON b.id = m.building_id WHERE r.moved_out IS NULL "
                      "AND b.grid_code LIKE '62%%'")[0][0]
    assert people["62"]["population"] == population
    groups = {g: people[LONGXI]["key_persons"][g] + people[YUMEN]["key_persons"][g] for g in KeyGroup.values}
    assert people["62"]["key_persons"] == groups and sum(groups.values()) > 0
    # Every non-zero count of the province under the threshold: without the right each reads "< N"
    # (stats, the dashboard's cards, the export and OGC); with the right, the count.
    settings.GRIDMAP_KEY_GROUP_THRESHOLD = max(groups.values()) + 1
    limit = f"< {max(groups.values()) + 1}"
    hidden = api(client, plain, "/api/stats/62")["people"]["unit"]["key_persons"]
    assert hidden == {g: (limit if n else 0) for g, n in groups.items()}
    assert api(client, personal, "/api/stats/62")["people"]["unit"]["key_persons"] == groups
    status, body = get(client, plain, "/api/export/people.geojson?level=-1")
    props = json.loads(body)["features"][0]["properties"]
    assert props["code"] == "62" and props["population"] == population
    assert {g: props[f"key_{g}"] for g in KeyGroup.values} == {g: (limit if n else "0") for g, n in groups.items()}
    status, body = get(client, personal, "/api/export/people.geojson?level=-1&personal=1")
    props = json.loads(body)["features"][0]["properties"]
    assert {g: props[f"key_{g}"] for g in KeyGroup.values} == {g: str(n) for g, n in groups.items()}
    status, body = get(client, personal, "/ogc/collections/people_cities/items")
    found = {f["properties"]["code"]: f["properties"] for f in json.loads(body)["features"]}
    assert sorted(found) == ["6209", "6211"] and found["6211"]["population"] == people[LONGXI]["population"]
    assert all(found["6211"][f"key_{g}"] in (limit, "0") for g in KeyGroup.values)
    status, body = get(client, plain, "/dashboards/province/62/")
    assert status == 200 and f">{population:,}<".encode() in body  # the 民情 card: residents of the province


def test_the_city_and_province_pages_show_the_analysis_panels(client, counties):
    for code, kind, rows_of in (("62", "province", ("定西市", "酒泉市")), ("6211", "city", ("陇西县",))):
        status, body = get(client, counties["62"], f"/dashboards/{kind}/{code}/")
        assert status == 200
        page = body.decode()
        for panel in ("people", "warnings", "threezero"):
            assert f'data-panel="{panel}"' in page, (code, panel)
        assert 'data-kpi="threezero_counties"' in page and all(name in page for name in rows_of)
        assert f"/api/analysis/threezero/{code}?" in page and f"/analysis/{code}/" in page
    # The report of the province carries its index (its score in the breakdown's sentence) and its warnings.
    import io

    import pypdfium2 as pdfium
    status, body = get(client, counties["62"], f"/reports/62/{MONTH}.pdf")
    assert status == 200 and body.startswith(b"%PDF")
    document = pdfium.PdfDocument(io.BytesIO(body))
    text = " ".join(" ".join(document[n].get_textpage().get_text_range().split()) for n in range(len(document)))
    score = api(client, counties["62"], f"/api/analysis/index/62?period={MONTH}")["index"]["score"]
    assert f"{score:.1f}" in text


def test_the_index_and_three_zero_tiles_draw_counties_at_a_province_zoom(client, counties):
    lon, lat = centre(YUMEN)
    for layer in ("safety_index", "threezero"):
        status, body = get(client, counties["62"], "/tiles/{}/5/{}/{}.pbf".format(layer, *tile_xy(lon, lat, 5)))
        assert status == 200, layer
        features = mapbox_vector_tile.decode(body)[layer]["features"]
        assert YUMEN in {f["properties"]["code"] for f in features}, layer
        assert not any(c.startswith(YUMEN) for c in tile_codes(client, counties[LONGXI], layer, 5, lon, lat)), layer


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_patrol_coverage_of_a_village_is_the_same_whichever_prefix_asks(counties):
    """Both counties walked in November: the province's reading of each village's buildings passed is each
    county's own, not counted once per county that walked that month."""
    from field.coverage import village_months

    first, end = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    province = village_months("62", first, end)
    alone = {**village_months(LONGXI, first, end), **village_months(YUMEN, first, end)}
    assert province == alone and any(passed for passed, _ in province.values())


def partition_state(code: str) -> dict[str, tuple]:
    """Each of a county's partitions: its file (a TRUNCATE, a rewrite or a DROP and re-create changes it), its
    row count and the transactions that wrote its rows (an UPDATE or a re-insert writes new ones)."""
    state = {}
    for table in demo.PARTITIONED:
        name = demo.partition(table, code)
        (relfilenode,), = rows("SELECT relfilenode FROM pg_class WHERE oid = %s::regclass", [name])
        (count, writers), = rows(f"SELECT count(*), array_agg(DISTINCT xmin::text ORDER BY xmin::text) FROM {name}")
        state[name] = (relfilenode, count, tuple(writers or ()))
    return state


def partitions_of(table: str) -> set[str]:
    return {name for (name,) in rows("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass",
                                     [table])}


def test_each_county_has_its_partitions_and_loading_replacing_removing_another_leaves_them_untouched(counties):
    from django.test import Client
    for table in demo.PARTITIONED:
        assert {demo.partition(table, LONGXI), demo.partition(table, YUMEN), f"{table}_default"} <= partitions_of(table)
    for code in (LONGXI, YUMEN):
        # Every incident of the county is in its partition, its events in theirs, nothing in the default ones.
        (in_partition, by_grid, events, default), = rows(
            f"SELECT (SELECT count(*) FROM layers_incident_{code}), "
            "(SELECT count(*) FROM layers_incident WHERE grid_code LIKE %(l)s), "
            f"(SELECT count(*) FROM layers_incidentevent_{code}), "
            "(SELECT count(*) FROM layers_incident_default) + (SELECT count(*) FROM layers_incidentevent_default)",
            {"l": code + "%"})
        assert in_partition == by_grid > 0 and events > in_partition and default == 0
    # A report through intake lands in its county's partitions, the incident and its first event.
    lon, lat = rows("SELECT ST_X(location), ST_Y(location) FROM layers_building WHERE grid_code LIKE %s "
                    "ORDER BY id LIMIT 1", [LONGXI + "%"])[0]
    _, key = create_user(f"{USERS}reporter", "grid_worker", LONGXI)
    response = Client().post("/api/incidents", json.dumps({"category": "livelihood", "lon": lon, "lat": lat}),
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201, response.content
    created = response.json()
    pk = created.get("id") or created["properties"]["id"]
    assert rows("SELECT tableoid::regclass::text, county_code FROM layers_incident WHERE id = %s", [pk]) == [
        (f"layers_incident_{LONGXI}", LONGXI)]
    assert rows("SELECT tableoid::regclass::text FROM layers_incidentevent WHERE incident_id = %s", [pk]) == [
        (f"layers_incidentevent_{LONGXI}",)]
    longxi = partition_state(LONGXI)
    yumen = partition_state(YUMEN)
    # Replacing 玉门 drops and re-creates its partitions (new files), and leaves 陇西's exactly as they were.
    load("yumen", "--replace")
    assert partition_state(LONGXI) == longxi
    replaced = partition_state(YUMEN)
    assert all(replaced[t][0] != yumen[t][0] and replaced[t][1] == yumen[t][1] for t in yumen)
    # Removing it drops them; loading it again creates them; 陇西's stay as they were through both.
    call_command("load_demo", "--scenario", "yumen", "--remove", verbosity=0)
    assert not any(demo.partition(t, YUMEN) in partitions_of(t) for t in demo.PARTITIONED)
    assert rows("SELECT count(*) FROM layers_incidentrollup WHERE area_code LIKE %s", [YUMEN + "%"]) == [(0,)]
    assert partition_state(LONGXI) == longxi
    load("yumen")
    assert partition_state(LONGXI) == longxi
    assert {t: s[1] for t, s in partition_state(YUMEN).items()} == {t: s[1] for t, s in yumen.items()}


def test_a_county_bulk_loaded_is_what_the_partitioned_tables_triggers_and_keys_would_have_made(counties):
    """load_demo fills a county's incidents table while it stands alone (no index, no trigger) and attaches it
    afterwards: the partition then has every index, foreign key, CHECK and row trigger of the partitioned table,
    nothing of the load's own scaffolding, and what the statement triggers keep is what a recount gives."""
    from django.db import transaction
    for table in demo.PARTITIONED:
        for code in (LONGXI, YUMEN):
            name = demo.partition(table, code)
            (indexes, parent_indexes, keys, parent_keys, checks, parent_checks, triggers, parent_triggers), = rows(
                "SELECT (SELECT count(*) FROM pg_index WHERE indrelid = %(p)s::regclass), "
                "(SELECT count(*) FROM pg_index WHERE indrelid = %(t)s::regclass), "
                "(SELECT count(*) FROM pg_constraint WHERE conrelid = %(p)s::regclass AND contype = 'f' "
                " AND conparentid <> 0), "
                "(SELECT count(*) FROM pg_constraint WHERE conrelid = %(t)s::regclass AND contype = 'f'), "
                "(SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint "
                " WHERE conrelid = %(p)s::regclass AND contype = 'c'), "
                "(SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint "
                " WHERE conrelid = %(t)s::regclass AND contype = 'c'), "
                "(SELECT count(*) FROM pg_trigger WHERE tgrelid = %(p)s::regclass AND tgparentid <> 0 "
                " AND NOT tgisinternal), "
                "(SELECT count(*) FROM pg_trigger WHERE tgrelid = %(t)s::regclass AND NOT tgisinternal "
                " AND tgtype & 1 = 1)", {"p": name, "t": table})
            # Each partitioned index has its copy; the load's CHECK (the partition bound) is gone again.
            assert indexes == parent_indexes > 0, name
            assert keys == parent_keys and checks == parent_checks, name
            assert triggers == parent_triggers, name  # the row triggers (placement, duplicate_of) are cloned
    # The rollup and the open matters are a recount's (figures_rebuild, rolled back), every large risk
    # supervised, every grid's incident tiles versioned.
    rollup = ("SELECT area_code, month, category, severity, status, n, late, rated FROM layers_incidentrollup "
              "ORDER BY 1, 2, 3, 4, 5")
    open_rows = "SELECT id, grid_code, due_at, status FROM layers_openincident ORDER BY id"
    # The open matters' rollup per county and township (province zooms; kept by triggers on the open matters,
    # which the load fills in bulk after the attach) is a recount's too.
    open_rollup = ("SELECT level, area_code, month, category, due_month, n FROM layers_openrollup WHERE n <> 0 "
                   "ORDER BY 2, 3, 4, 5")
    kept_rollup, kept_open, kept_open_rollup = rows(rollup), rows(open_rows), rows(open_rollup)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        rows("SELECT figures_rebuild()")
        rows("SELECT figures_open_rebuild()")
        assert (rows(rollup), rows(open_rows)) == (kept_rollup, kept_open)
        assert rows(open_rollup) == kept_open_rollup and kept_open_rollup
        raise Rollback
    assert rows("SELECT count(*) FROM layers_incident i WHERE i.risk_level = 'large' AND NOT EXISTS "
                "(SELECT 1 FROM layers_supervision s WHERE s.incident_id = i.id)") == [(0,)]
    assert rows("SELECT count(DISTINCT grid_code) FROM layers_incident WHERE grid_code NOT IN "
                "(SELECT area_code FROM tiles_layerversion WHERE layer = 'incidents')") == [(0,)]


def test_references_to_incidents_are_kept_without_foreign_keys(counties):
    """The desk's rows, visits and the rest point at an incident without a database foreign key (a partitioned
    table's key is (id, county_code)): the triggers refuse what the key would have refused."""
    from django.db import IntegrityError, transaction
    (missing,), = rows("SELECT max(id) + 1000 FROM layers_incident")
    with pytest.raises(IntegrityError, match="violates its reference to an incident"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("INSERT INTO layers_escalation (id, incident_id, level, holder, at, actor) "
                        "VALUES (-1, %s, 'city', 'x', now(), 'test')", [missing])
    (pointed,), = rows("SELECT incident_id FROM layers_mediation ORDER BY incident_id LIMIT 1")
    with pytest.raises(IntegrityError, match="pointing at a deleted incident"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM layers_incident WHERE id = %s", [pointed])
