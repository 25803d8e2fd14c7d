"""Vector tiles, decoded with mapbox-vector-tile: features, properties, positions, filters,
aggregation, invalidation, HTTP semantics, one round trip, and area scope.

Tiles used: z16 (raw incident points), z12 (grid counts), z8 (township counts), all over the
`tree` fixture's grids west (…001) and east (…002) of township 419001103; a second township
419001104 lies further east.
"""

from __future__ import annotations

import datetime as dt
import gzip

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.utils import timezone

from geo.access import create_user
from grids.models import Area
from layers.models import Building, Incident
from tests.support.areas import box
from tests.support.tiles import decode, features, get, make, pixel_of, tile_of
from tiles import versions
from tiles.rebuild import rebuild

# ----------------------------------------------------------------------------- positions, properties

def test_incident_point_lands_on_its_pixel_with_its_attributes(client, county, admin_key):
    incident = make(112.4567, 35.0432, category="safety_hazard", severity="larger", status="accepted",
                    reporter_name="张三", reporter_phone="13800000000")
    found = features(client, admin_key, "incidents", 16, 112.4567, 35.0432)
    assert len(found) == 1
    feature = found[0]
    px, py = pixel_of(112.4567, 35.0432, 16)
    gx, gy = feature["geometry"]["coordinates"]
    assert abs(gx - px) <= 1 and abs(gy - py) <= 1
    props = feature["properties"]
    assert feature["id"] == incident.pk
    assert (props["class"], props["severity"], props["status"], props["grid"]) == (
        "safety_hazard", "larger", "accepted", county["west"].code)
    assert "reporter_name" not in props and "reporter_phone" not in props
    assert "张三" not in str(props) and "13800000000" not in str(props)


def test_grids_layer_shows_the_level_for_the_zoom(client, county, admin_key):
    levels = {z: {f["properties"]["level"] for f in features(client, admin_key, "grids", z, 112.45, 35.05)}
              for z in (8, 10, 13)}
    assert levels == {8: {1, 2}, 10: {3}, 13: {4}}
    codes = {f["properties"]["code"] for f in features(client, admin_key, "grids", 12, 112.5, 35.05)}
    assert {county["west"].code, county["east"].code} <= codes


def test_simplification_never_drops_a_part_of_a_multipolygon(client, county, admin_key):
    # An exclave about 1 m across: below one tile unit at z12 (2.4 m), which would collapse it.
    exclave = Polygon.from_bbox((112.45, 35.005, 112.45001, 35.00501))
    main = Polygon.from_bbox((112.46, 35.01, 112.49, 35.025))  # both in z12 tile 3327/1622
    Area.objects.create(code="4190011032009001", name="飞地专属网格", level=5, kind="park",
                        parent=county["village"], boundary=MultiPolygon(main, exclave, srid=4326))
    found = [f for f in features(client, admin_key, "grids", 12, 112.47, 35.01, y_down=False)
             if f["properties"]["code"] == "4190011032009001"]
    assert len(found) == 1
    assert found[0]["geometry"]["type"] == "MultiPolygon"
    assert len(found[0]["geometry"]["coordinates"]) == 2


def test_buildings_and_places_at_high_zoom(client, county, admin_key):
    Building.objects.create(address_code="41900110320000001", name="1号楼", floors=6,
                            location=Point(112.45, 35.05, srid=4326))
    found = features(client, admin_key, "buildings", 16, 112.45, 35.05)
    assert [f["properties"]["address_code"] for f in found] == ["41900110320000001"]
    assert found[0]["properties"]["floors"] == 6
    x, y = tile_of(112.45, 35.05, 14)
    assert get(client, admin_key, "buildings", 14, x, y).status_code == 204  # below its minzoom


# ------------------------------------------------------------------------------------ aggregation

def test_low_zoom_counts_equal_sql_counts(client, county, admin_key):
    for i in range(7):
        make(112.41 + i * 0.01, 35.02, status="closed" if i % 2 else "reported")
    make(112.65, 35.05, status="reported", due_at=timezone.now() - dt.timedelta(hours=1))
    make(112.66, 35.05, status="closed", due_at=timezone.now() - dt.timedelta(days=2),
         closed_at=timezone.now() - dt.timedelta(days=1))  # closed late: overdue too
    with connection.cursor() as cursor:
        cursor.execute("""SELECT left(grid_code, 9), count(*), count(*) FILTER (WHERE status = 'closed'),
                          count(*) FILTER (WHERE (status <> 'closed' AND due_at < now()) OR closed_at > due_at)
                          FROM layers_incident GROUP BY 1""")
        expected = {code: (total, closed, overdue) for code, total, closed, overdue in cursor.fetchall()}
    found = features(client, admin_key, "incidents", 8, 112.5, 35.05)
    got = {f["properties"]["code"]: (f["properties"]["count"], f["properties"]["closed"],
                                     f["properties"]["overdue"]) for f in found}
    assert got == expected
    assert all(f["geometry"]["type"] == "Point" for f in found)


def test_rollups_kept_by_triggers_equal_a_rebuild(county):
    a = make(112.45, 35.05)
    b = make(112.55, 35.05, status="accepted")
    make(112.65, 35.05)
    Incident.objects.filter(pk=a.pk).update(status="closed", closed_at=timezone.now())
    b.location = Point(112.45, 35.06, srid=4326)
    b.save()
    Incident.objects.filter(category="dispute", grid__code="419001104200001").delete()

    def snapshot():
        with connection.cursor() as cursor:
            cursor.execute("SELECT area_code, month, category, severity, status, n, late FROM layers_incidentrollup "
                           "WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5")
            monthly = cursor.fetchall()
            cursor.execute("SELECT id, grid_code, status FROM layers_openincident ORDER BY id")
            return monthly, cursor.fetchall()

    by_triggers = snapshot()
    rebuild()
    assert by_triggers == snapshot()
    monthly, open_rows = by_triggers
    assert sum(row[5] for row in monthly if len(row[0]) == 6 and row[1] is not None) == 2  # the months
    assert sum(row[5] for row in monthly if len(row[0]) == 6 and row[1] is None) == 2  # all time
    assert [row[0] for row in open_rows] == [b.pk]


def test_workload_polygons_carry_counts_and_workers(client, county, admin_key):
    make(112.45, 35.05, status="reported", due_at=timezone.now() - dt.timedelta(days=1))
    make(112.45, 35.06, status="closed", due_at=timezone.now(), closed_at=timezone.now() - dt.timedelta(hours=1))
    found = {f["properties"]["code"]: f for f in features(client, admin_key, "workload", 12, 112.45, 35.05)}
    west = found[county["west"].code]
    assert west["geometry"]["type"] in ("Polygon", "MultiPolygon")
    props = west["properties"]
    assert (props["intake"], props["open"], props["overdue"], props["closed"], props["on_time"]) == (2, 1, 1, 1, 1)


# --------------------------------------------------------------------------------------- filters

@pytest.mark.parametrize(("params", "expected"), [
    ({}, 4),
    ({"class": "petition"}, 1),
    ({"class": "dispute,petition"}, 3),
    ({"status": "closed"}, 1),
    ({"status": "open"}, 3),
    ({"severity": "major"}, 1),
    ({"source": "hotline_12345"}, 1),
    ({"since": "2025-03-10"}, 2),
    ({"until": "2025-03-09"}, 2),
    ({"since": "2025-02-01", "until": "2025-02-28"}, 1),
    ({"area": "419001103200002"}, 1),
])
def test_each_filter_at_high_and_low_zoom(client, county, admin_key, params, expected):
    tz = timezone.get_current_timezone()
    make(112.41, 35.02, reported_at=dt.datetime(2025, 1, 15, 10, tzinfo=tz))
    make(112.42, 35.02, category="petition", reported_at=dt.datetime(2025, 2, 20, 10, tzinfo=tz))
    make(112.43, 35.02, severity="major", status="closed", reported_at=dt.datetime(2025, 3, 10, 0, 30, tzinfo=tz))
    make(112.55, 35.02, source="hotline_12345", category="livelihood",
         reported_at=dt.datetime(2025, 4, 2, 10, tzinfo=tz))
    raw = sum(len(features(client, admin_key, "incidents", 16, lon, 35.02, **params))
              for lon in (112.41, 112.42, 112.43, 112.55))
    counted = sum(f["properties"]["count"] for f in features(client, admin_key, "incidents", 8, 112.5, 35.05,
                                                             **params))
    assert raw == counted == expected


@pytest.mark.parametrize(("query", "field", "words"), [
    ("class=riot", "class", "unknown value 'riot'"),
    ("status=lost", "status", "unknown value 'lost'"),
    ("severity=huge", "severity", "unknown value 'huge'"),
    ("source=tv", "source", "unknown value 'tv'"),
    ("since=yesterday", "since", "is not a date"),
    ("since=2025-05-01&until=2025-04-01", "until", "is before since"),
    ("area=4190X1", "area", "is not an area code"),
])
def test_bad_filter_values_are_400_naming_the_parameter(client, county, admin_key, query, field, words):
    response = client.get(f"/tiles/incidents/8/210/102.pbf?{query}", HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field and words in error["message"]


# ---------------------------------------------------------------------------------------- HTTP

@pytest.mark.parametrize(("path", "status", "words"), [
    ("/tiles/grids/23/0/0.pbf", 400, "zoom 23 is out of range"),
    ("/tiles/grids/3/8/0.pbf", 400, "x 8 is out of range 0..7"),
    ("/tiles/grids/3/0/9.pbf", 400, "y 9 is out of range"),
    ("/tiles/grids/3/-1/0.pbf", 400, "x -1 is out of range"),
    ("/tiles/roads/3/0/0.pbf", 404, "unknown tile layer 'roads'"),
])
def test_out_of_range_tiles_and_unknown_layers(client, county, admin_key, path, status, words):
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    assert response.status_code == status
    assert words in response.json()["error"]["message"]


def test_empty_tile_is_204(client, county, admin_key):
    assert get(client, admin_key, "grids", 10, 0, 0).status_code == 204


def test_gzip_etag_304_and_headers(client, county, admin_key):
    x, y = tile_of(112.45, 35.05, 12)
    url = f"/tiles/grids/12/{x}/{y}.pbf"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {admin_key}"}
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate", **auth)
    assert zipped.status_code == 200
    assert zipped["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert zipped["Content-Encoding"] == "gzip"
    assert "max-age=0" in zipped["Cache-Control"]
    assert mapbox_vector_tile.decode(gzip.decompress(zipped.content))["grids"]["features"]
    again = client.get(url, HTTP_IF_NONE_MATCH=zipped["ETag"], **auth)
    assert again.status_code == 304 and again.content == b""


def test_tilejson_and_catalog(client, county, admin_key):
    body = client.get("/tiles/grids,incidents.json?class=dispute", HTTP_AUTHORIZATION=f"Bearer {admin_key}").json()
    assert body["tilejson"] == "3.0.0"
    assert body["bounds"] == pytest.approx([112.4, 35.0, 112.7, 35.1])
    assert [layer["id"] for layer in body["vector_layers"]] == ["grids", "incidents"]
    assert "class=dispute" in body["tiles"][0] and body["tiles"][0].endswith("?class=dispute")
    assert "code" in body["vector_layers"][0]["fields"]
    catalog = client.get("/tiles/", HTTP_AUTHORIZATION=f"Bearer {admin_key}").json()
    assert {layer["id"] for layer in catalog["layers"]} == {"grids", "incidents", "workload", "buildings", "places",
                                                           "safety_index", "people", "threezero", "coverage",
                                                           "tracks"}
    # The patrol tracks (personal data) are listed only for the personal-data right (administrators have it).
    leader = create_user("tile-leader", "leader", "", personal_data=False)[1]
    listed = client.get("/tiles/", HTTP_AUTHORIZATION=f"Bearer {leader}").json()
    assert "coverage" in {layer["id"] for layer in listed["layers"]}
    assert "tracks" not in {layer["id"] for layer in listed["layers"]}


def test_multi_layer_tile_is_one_round_trip(client, county, admin_key, settings, django_assert_num_queries,
                                            monkeypatch):
    settings.GRIDMAP_TILE_CACHE = False
    make(112.45, 35.05)
    x, y = tile_of(112.45, 35.05, 12)
    get(client, admin_key, "grids", 12, x, y)  # resolves the token and loads the versions
    monkeypatch.setattr(versions, "POLL_SECONDS", 3600.0)
    # One statement draws every layer; before it, one small query names the counties whose partitions the
    # count layers read (registry.tile_counties: the administrator's scope names none).
    with django_assert_num_queries(2) as queries:
        response = get(client, admin_key, "grids,incidents,workload,places,buildings", 12, x, y)
    assert set(decode(response)) == {"grids", "incidents", "workload"}
    lookup, tile = (q["sql"] for q in queries.captured_queries)
    assert "SELECT DISTINCT left(d.area_code, 6) FROM tiles_areadisplay" in lookup
    assert "ST_AsMVT(t, 'grids'" in tile and "ST_AsMVT(t, 'workload'" in tile


# ---------------------------------------------------------------------------------- invalidation

def test_each_kind_of_write_refreshes_affected_tiles_only(client, county, admin_key):
    x, y = tile_of(112.45, 35.05, 16)
    far_x, far_y = tile_of(112.65, 35.05, 12)
    far = get(client, admin_key, "incidents,buildings,grids", 12, far_x, far_y)

    assert get(client, admin_key, "incidents", 16, x, y).status_code == 204
    incident = make(112.45, 35.05)
    assert len(features(client, admin_key, "incidents", 16, 112.45, 35.05)) == 1  # new incident

    Incident.objects.filter(pk=incident.pk).update(status="closed", closed_at=timezone.now())
    assert features(client, admin_key, "incidents", 16, 112.45, 35.05)[0]["properties"]["status"] == "closed"

    Building.objects.create(address_code="41900110320000009", location=Point(112.45, 35.05, srid=4326))
    assert len(features(client, admin_key, "buildings", 16, 112.45, 35.05)) == 1  # building edit

    before = features(client, admin_key, "grids", 12, 112.45, 35.05)
    county["west"].replace_boundary(box(112.4, 35.0, 112.47, 35.1), reason="test")  # boundary edit
    after = features(client, admin_key, "grids", 12, 112.45, 35.05)
    assert before != after

    unaffected = get(client, admin_key, "incidents,buildings,grids", 12, far_x, far_y)
    assert unaffected["ETag"] == far["ETag"]


# ------------------------------------------------------------------------------------------ scope

def test_township_scope_sees_nothing_of_another_township(client, county):
    make(112.45, 35.05)
    make(112.65, 35.05)
    _, key = create_user("leader-shaoyuan", "leader", "419001104")
    own = features(client, key, "incidents", 8, 112.55, 35.05)
    assert {f["properties"]["code"] for f in own} == {"419001104"}
    for layer, z, lon in [("incidents", 16, 112.45), ("grids", 12, 112.45), ("workload", 12, 112.45)]:
        assert features(client, key, layer, z, lon, 35.05) == []
    assert features(client, key, "grids", 12, 112.65, 35.05)
    # An area filter outside the scope is simply empty, not an error that confirms the area exists.
    x, y = tile_of(112.45, 35.05, 12)
    assert get(client, key, "grids", 12, x, y, area="419001103").status_code == 204


def test_anonymous_needs_a_public_layer(client, county, settings):
    assert client.get("/tiles/grids/8/210/102.pbf").status_code == 401
    settings.GRIDMAP_PUBLIC_LAYERS = ["grids"]
    x, y = tile_of(112.45, 35.05, 8)
    assert client.get(f"/tiles/grids/8/{x}/{y}.pbf").status_code == 200
    assert client.get(f"/tiles/incidents/8/{x}/{y}.pbf").status_code == 401


def test_dense_tile_sends_cluster_cells_that_add_up(client, county, admin_key, monkeypatch):
    from tiles import registry

    monkeypatch.setattr(registry, "MAX_POINTS", 5)
    for i in range(12):
        make(112.45 + (i % 4) * 0.0002, 35.05 + (i // 4) * 0.0002, status="closed" if i % 3 else "reported")
    found = features(client, admin_key, "incidents", 16, 112.4503, 35.0502)
    assert found and all(f["properties"]["cluster"] for f in found)
    assert sum(f["properties"]["count"] for f in found) == 12
    assert sum(f["properties"]["open"] for f in found) == 4


def test_workload_tile_agrees_with_the_stats_api(client, county, admin_key):
    """The map and the tables must agree: a grid's workload polygon carries /api/stats' figures."""
    now = timezone.now()
    make(112.45, 35.05, status="reported", due_at=now - dt.timedelta(hours=2))
    make(112.45, 35.06, status="closed", due_at=now, closed_at=now - dt.timedelta(hours=1))
    make(112.46, 35.06, status="closed", due_at=now - dt.timedelta(days=1), closed_at=now - dt.timedelta(hours=3))
    make(112.46, 35.07, status="accepted", due_at=now + dt.timedelta(days=1))
    code = county["west"].code
    found = features(client, admin_key, "workload", 12, 112.45, 35.05)
    tile = {f["properties"]["code"]: f["properties"] for f in found}
    stats = client.get(f"/api/stats/{code}", HTTP_AUTHORIZATION=f"Bearer {admin_key}").json()
    figures = stats.get("figures", stats)
    props = tile[code]
    assert props["intake"] == figures["intake"] == 4
    assert props["closed"] == figures["closed"] == 2
    assert props["on_time"] == figures["closed_on_time"] == 1
    assert props["overdue"] == figures["overdue"] == 2
