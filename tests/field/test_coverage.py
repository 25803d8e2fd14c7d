"""Coverage (issue 19): the figures equal a direct SQL computation on a hand-made grid; a key place past its
cadence shows overdue; visits may carry the phone's time; tracks never reach users outside scope or without
the personal-data right, in tiles or exports; the ranking's score counts coverage.

The tiny tree (tests/conftest.py): grids west (112.4-112.5) and east (112.5-112.6), 35.0-35.1; gw_west holds
the west grid (worker W-WEST). A row of buildings is laid along 35.05 in the west grid, some 10 m north of the
walk (passed), some 100 m north (not passed).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from field import coverage
from field.models import BuildingPass, CheckCadence, CoverageDay, TrackPiece, Visit
from geo.access import create_user
from geo.models import AuditRecord
from layers.figures import ranking
from layers.models import Building, Place, Room
from tests.field.test_patrols import upload, walk
from tests.support.incidents import make_world

WEST = "419001103200001"
ROW_LAT = 35.05


@pytest.fixture
def world(tree):
    world = make_world(tree)
    # Ten buildings along the walk, alternately ~10 m and ~100 m north of it.
    for i in range(10):
        Building.objects.create(address_code=f"41900110320000{i + 100:03d}", name=f"{i}号",
                                location=Point(112.45 + 0.0002 * i, ROW_LAT + (0.00009 if i % 2 == 0 else 0.0009),
                                               srid=4326))
    return world


def direct_sql(prefix: str, since: dt.datetime, until: dt.datetime) -> dict:
    """The figures written out over the raw rows, with the spheroid's distance, no rollup."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT (SELECT coalesce(sum(ST_Length(p.path::geography)), 0) FROM field_trackpiece p
                    WHERE p.grid_code LIKE %(p)s AND p.started_at >= %(s)s AND p.started_at < %(u)s),
                   (SELECT coalesce(sum(extract(epoch FROM p.ended_at - p.started_at)), 0) FROM field_trackpiece p
                    WHERE p.grid_code LIKE %(p)s AND p.started_at >= %(s)s AND p.started_at < %(u)s),
                   (SELECT count(*) FROM layers_building b WHERE b.grid_code LIKE %(p)s),
                   (SELECT count(DISTINCT b.id) FROM layers_building b JOIN field_trackpiece p
                      ON p.grid_code = b.grid_code AND ST_DWithin(b.location::geography, p.path::geography, 30)
                    WHERE b.grid_code LIKE %(p)s AND p.started_at >= %(s)s AND p.started_at < %(u)s),
                   (SELECT count(DISTINCT v.room_id) FROM field_visit v
                    WHERE v.grid_code LIKE %(p)s AND v.visited_at >= %(s)s AND v.visited_at < %(u)s)""",
                    {"p": prefix + "%", "s": since, "u": until})
        length, seconds, buildings, passed, households = cur.fetchone()
    return {"length_km": float(length) / 1000, "hours_out": float(seconds) / 3600, "buildings": buildings,
            "buildings_passed": passed, "households_visited": households}


def test_coverage_equals_a_direct_sql_computation_on_a_hand_made_grid(world, tree):
    start = timezone.now() - dt.timedelta(hours=3)
    assert upload(world, "gw_west", walk(30, start=(112.4495, ROW_LAT), t0=start)).status_code == 201
    # A second walk another day, and one in the east grid that passes none of the west's buildings.
    assert upload(world, "gw_west", walk(10, start=(112.4499, ROW_LAT), t0=start - dt.timedelta(days=2)),
                  batch_id="b-2").status_code == 201
    assert upload(world, "gw_east", walk(10, start=(112.55, ROW_LAT), t0=start), batch_id="b-3").status_code == 201
    room = Room.objects.create(building=Building.objects.get(address_code="41900110320000100"), unit=1, floor=1,
                               number="1", address_code="4190011032000010001001001", households=1)
    assert world.post("gw_west", "/api/visits", {"task": "household", "room": room.address_code}).status_code == 201
    since, until = timezone.now() - dt.timedelta(days=7), timezone.now() + dt.timedelta(minutes=1)
    for code in (WEST, tree["village"].code, tree["county"].code):
        got = coverage.of_unit(code, since, until)
        want = direct_sql(code, since, until)
        assert got.length_km == pytest.approx(want["length_km"], rel=1e-9)
        assert got.hours_out == pytest.approx(want["hours_out"], rel=1e-9)
        assert (got.buildings, got.buildings_passed, got.households_visited) == (
            want["buildings"], want["buildings_passed"], want["households_visited"])
    west = coverage.of_unit(WEST, since, until)
    # The five near buildings, and not the five far ones (nor the first building of make_world).
    assert west.buildings_passed == 5 and west.buildings == 11 and west.share_passed == pytest.approx(5 / 11, abs=1e-4)
    assert west.last_seen == timezone.localdate()
    # The rollup follows a deletion too: the pieces gone, their coverage gone.
    TrackPiece.objects.filter(grid_id=WEST).delete()
    assert coverage.of_unit(WEST, since, until).buildings_passed == 0
    assert not CoverageDay.objects.filter(grid_code=WEST).exists()
    assert not BuildingPass.objects.filter(grid_code=WEST).exists()


def _direct_worker_shares(prefix: str, since: dt.datetime, until: dt.datetime) -> dict[int, tuple[int, int]]:
    """{worker: (buildings of their grids, those their own tracks passed)} written out over the raw rows."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT s.worker_id,
                   (SELECT count(*) FROM layers_building b WHERE b.grid_code = s.area_code),
                   (SELECT count(DISTINCT b.id) FROM layers_building b JOIN field_trackpiece p
                      ON p.grid_code = b.grid_code AND ST_DWithin(b.location::geography, p.path::geography, 30)
                    JOIN field_track t ON t.id = p.track_id
                    WHERE b.grid_code = s.area_code AND t.worker_id = s.worker_id
                      AND p.started_at >= %(s)s AND p.started_at < %(u)s)
            FROM grids_assignment s WHERE s.area_code LIKE %(p)s AND s.valid_to IS NULL""",
                    {"p": prefix + "%", "s": since, "u": until})
        return {w: (n, passed) for w, n, passed in cur.fetchall() if n}


def test_any_period_of_weeks_and_edge_days_counts_the_same_distinct_buildings_as_the_raw_rows(world, tree):
    """The week rollup (whole ISO weeks) and the day rollup (edge days) give exactly the distinct buildings
    passed of a direct computation, for periods aligned to weeks or not, of one day to a month, also when a
    building added later gets a slot past the grid's earlier sets (which are padded to the grid's new width)."""
    today = timezone.localdate()

    def at(days_ago: int, hour: int = 10) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour)))

    def pass_building(j: int, days_ago: int, batch: str, who: str = "gw_west", hour: int = 10) -> None:
        # Three fixes 15 m long at the j-th near building (they are 36 m apart: the walk passes that one only).
        response = upload(world, who, walk(3, start=(112.45 + 0.0004 * j - 0.00008, ROW_LAT), t0=at(days_ago, hour)),
                          batch_id=batch)
        assert response.status_code == 201, response.content

    for k, (j, days_ago) in enumerate([(0, 27), (1, 25), (0, 20), (2, 16), (3, 15), (0, 13), (4, 9), (1, 8),
                                       (2, 3), (2, 2)]):
        pass_building(j, days_ago, f"w-{k}")
    # A building put up later, passed twice: its slot is past the sets written before it.
    Building.objects.create(address_code="41900110320000200", name="新楼",
                            location=Point(112.45 + 0.0004 * 5, ROW_LAT + 0.00009, srid=4326))
    pass_building(5, 6, "w-new")
    pass_building(5, 1, "w-new-2", hour=11)
    pass_building(0, 1, "w-new-3", hour=12)
    # The first walk's set had one slot; every set of the grid is padded to its six slots since.
    assert _rows("SELECT DISTINCT length(passed) FROM field_coverageday WHERE grid_code = %s "
                 "UNION SELECT DISTINCT length(passed) FROM field_coverageweek WHERE grid_code = %s",
                 [WEST, WEST]) == [(6,)]
    assert _rows("SELECT count(*) FROM field_coverageweek WHERE grid_code = %s", [WEST])[0][0] >= 4
    ends = [0, 1, 2, 3, 6, 7, 8, 9, 13, 14, 15, 20, 21, 22, 27, 28]
    checked = 0
    for first_ago in ends:
        for last_ago in ends:
            if last_ago > first_ago:
                continue
            since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=first_ago), dt.time()))
            until = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=last_ago - 1), dt.time()))
            for code in (WEST, tree["village"].code, tree["county"].code):
                got, want = coverage.of_unit(code, since, until), direct_sql(code, since, until)
                assert got.buildings_passed == want["buildings_passed"], (code, first_ago, last_ago)
                assert got.length_km == pytest.approx(want["length_km"], rel=1e-9, abs=1e-12)
                # Last seen as of the period's end (field_gridseen holds later days for past periods).
                as_of = timezone.localdate(min(until, timezone.now()))
                assert got.last_seen == _rows(
                    "SELECT max(figures_day(started_at)) FROM field_trackpiece WHERE grid_code LIKE %s "
                    "AND figures_day(started_at) <= %s", [code + "%", as_of])[0][0]
            # The tile's per-grid function (field_coverage_period_grid) returns the same rows as the prefix one.
            first, end = timezone.localdate(since), timezone.localdate(until)
            for grid in (WEST, tree["east"].code):
                rows = "SELECT * FROM {}(%s, %s, %s) ORDER BY 1, 2, 7, 6"
                assert _rows(rows.format("field_coverage_period_grid"), [grid, first, end]) == _rows(
                    rows.format("field_coverage_period"), [grid, first, end]), (grid, first_ago, last_ago)
            shares = coverage.worker_shares(tree["county"].code, since, until)
            direct = _direct_worker_shares(tree["county"].code, since, until)
            if shares is not None:
                assert shares == {w: passed / n for w, (n, passed) in direct.items()}, (first_ago, last_ago)
            else:
                assert all(passed == 0 for _, passed in direct.values())
            checked += 1
    assert checked == 136
    # The weeks follow a deletion: the pieces of one day gone, every period still agrees.
    TrackPiece.objects.filter(grid_id=WEST, started_at__gte=at(15, 0), started_at__lt=at(14, 0)).delete()
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=28), dt.time()))
    until = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time()))
    assert coverage.of_unit(WEST, since, until).buildings_passed == direct_sql(WEST, since, until)[
        "buildings_passed"] == 5  # building 3 was passed on that day only


def _rows(query: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def test_stats_and_coverage_routes_show_the_figures_and_grids_not_visited(world, tree):
    assert upload(world, "gw_west", walk(30, start=(112.4495, ROW_LAT))).status_code == 201
    stats = world.get("leader", f"/api/stats/{tree['village'].code}",
                      {"since": str(timezone.localdate() - dt.timedelta(days=6)), "children": "1",
                       "not_visited": "7"}).json()
    assert stats["coverage"]["unit"]["buildings_passed"] == 5
    assert [g["code"] for g in stats["coverage"]["not_visited"]["grids"]] == [tree["east"].code]
    body = world.get("leader", f"/api/coverage/{tree['village'].code}", {"not_visited": "3"}).json()
    assert [g["code"] for g in body["grids"]] == [tree["east"].code] and body["grids"][0]["last_seen"] is None
    everything = world.get("leader", f"/api/coverage/{tree['village'].code}").json()
    assert {g["code"]: g["buildings_passed"] for g in everything["grids"]} == {WEST: 5, tree["east"].code: 0}
    assert world.get("leader", f"/api/coverage/{tree['village'].code}", {"not_visited": "0"}).status_code == 400
    assert world.get("gw_west", f"/api/coverage/{tree['east'].code}").status_code == 404  # outside the scope
    detail = world.get("leader", f"/api/areas/{WEST}").json()
    assert detail["coverage"]["buildings_passed"] == 5


def test_a_key_place_past_its_cadence_shows_overdue(world, tree):
    assert CheckCadence.objects.get(kind="school").every_days == 7  # the migration's default
    school = Place.objects.create(kind="school", name="西小学", code="SCH-W", location=Point(112.47, 35.07, srid=4326))
    Place.objects.create(kind="police", name="派出所", code="POL-W", location=Point(112.48, 35.07, srid=4326))
    now = timezone.now()
    week = (now - dt.timedelta(days=7), now)
    assert coverage.of_unit(WEST, *week).key_places_overdue == 1  # never checked; police has no cadence
    Visit.objects.create(task="inspection", username="x", place=school, location=school.location, grid_id=WEST,
                         visited_at=now - dt.timedelta(days=12))
    twelve_days = coverage.of_unit(WEST, *week)
    assert (twelve_days.key_places, twelve_days.key_places_checked, twelve_days.key_places_overdue) == (1, 0, 1)
    Visit.objects.create(task="inspection", username="x", place=school, location=school.location, grid_id=WEST,
                         visited_at=now - dt.timedelta(days=2))
    fresh = coverage.of_unit(WEST, *week)
    assert (fresh.key_places_checked, fresh.key_places_overdue) == (1, 0)
    # As of the end of a past period the later check does not count yet.
    assert coverage.of_unit(WEST, now - dt.timedelta(days=14), now - dt.timedelta(days=3)).key_places_overdue == 1
    CheckCadence.objects.filter(kind="school").update(every_days=1)
    assert coverage.of_unit(WEST, *week).key_places_overdue == 1


def test_a_visit_carries_the_phones_time_within_limits(world):
    room = Room.objects.create(building=Building.objects.get(address_code="41900110320000100"), unit=1, floor=1,
                               number="1", address_code="4190011032000010001001001", households=1)
    then = timezone.localtime() - dt.timedelta(days=2, hours=3)
    ok = world.post("gw_west", "/api/visits", {"task": "household", "room": room.address_code,
                                                "visited_at": then.isoformat()})
    assert ok.status_code == 201, ok.content
    stored = Visit.objects.get()
    assert abs((stored.visited_at - then).total_seconds()) < 1
    assert abs((stored.created_at - timezone.now()).total_seconds()) < 60  # the server's time, kept
    assert ok.json()["recorded_at"] != ok.json()["visited_at"]
    for bad in ((timezone.localtime() + dt.timedelta(hours=1)).isoformat(), "2020-01-01T09:00:00+08:00",
                "2026-12-01", "yesterday"):
        response = world.post("gw_west", "/api/visits", {"task": "household", "room": room.address_code,
                                                          "visited_at": bad})
        assert response.status_code == 400 and response.json()["error"]["field"] == "visited_at", bad
    assert Visit.objects.count() == 1


def _tile(world, who, layers, z=16, lon=112.45, lat=ROW_LAT, **params):
    import math

    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return world.get(who, f"/tiles/{layers}/{z}/{x}/{y}.pbf", params)


def _layers(response) -> dict:
    import gzip

    import mapbox_vector_tile

    body = response.content
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return mapbox_vector_tile.decode(body) if body else {}


def test_tracks_never_reach_users_outside_scope_or_without_the_right(world, tree):
    assert upload(world, "gw_west", walk(30, start=(112.4495, ROW_LAT))).status_code == 201
    op = _tile(world, "op", "tracks")
    assert op.status_code == 200
    features = _layers(op)["tracks"]["features"]
    assert {f["properties"]["grid"] for f in features} == {WEST}
    assert "username" not in features[0]["properties"]
    assert AuditRecord.objects.filter(action="personal_read", username="op", target__startswith="tiles/tracks").exists()
    assert _tile(world, "leader", "tracks").status_code == 403  # no personal-data right
    assert _tile(world, "leader", "grids,tracks").status_code == 403
    _, key = create_user("chief_east", "leader", tree["east"].code, personal_data=True)
    world.keys["chief_east"] = key
    east = _tile(world, "chief_east", "tracks")
    assert east.status_code == 204 or "tracks" not in _layers(east)
    long_ago = _tile(world, "op", "tracks", since="2020-01-01", until="2020-01-31")
    assert long_ago.status_code == 204
    # No export layer, OGC collection or public tile carries them.
    assert world.get("op", "/api/export/tracks.geojson").status_code == 404
    assert world.client.get("/tiles/tracks/16/0/0.pbf").status_code == 401
    with override_settings(GRIDMAP_PUBLIC_LAYERS=("grids", "tracks")):
        assert world.client.get("/tiles/tracks/16/0/0.pbf").status_code == 401  # never public


def test_the_coverage_tile_shows_the_share_passed_and_the_not_visited_filter(world, tree):
    # A walk today (local), whatever the hour: two hours ago, or from midnight just past (2.5 minutes long, in the
    # upload's 5 minutes of clock skew).
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time()))
    t0 = max(timezone.now() - dt.timedelta(hours=2), midnight + dt.timedelta(seconds=1))
    assert upload(world, "gw_west", walk(30, start=(112.4495, ROW_LAT), t0=t0)).status_code == 201
    tile = _layers(_tile(world, "leader", "coverage", z=12))["coverage"]["features"]
    west = [f["properties"] for f in tile if f["properties"]["code"] == WEST][0]
    assert (west["passed"], west["buildings"]) == (5, 11) and west["share"] == pytest.approx(5 / 11, abs=1e-4)
    assert west["days_since"] == 0
    unvisited = _layers(_tile(world, "leader", "coverage", z=12, not_visited="3"))["coverage"]["features"]
    assert {f["properties"]["code"] for f in unvisited} == {tree["east"].code}
    assert _tile(world, "leader", "coverage", z=12, not_visited="x").status_code == 400


def test_a_worker_who_never_walks_loses_coverage_points_in_the_ranking(world, tree):
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time(9)))
    assert upload(world, "gw_west", walk(30, start=(112.4495, ROW_LAT), t0=start)).status_code == 201
    year, week, _ = monday.isocalendar()
    rows = {r["employee_no"]: r for r in world.get("op", "/api/stats/workers",
                                                   {"area": tree["county"].code,
                                                    "week": f"{year}-W{week:02d}"}).json()["workers"]}
    west, east = rows["W-WEST"], rows["C-EAST"]
    assert west["coverage"] == pytest.approx(5 / 11, abs=1e-4) and west["coverage_points"] == ranking.COVERAGE[
        "points"](5 / 11) == 2
    assert east["coverage"] == 0 and east["coverage_points"] == -3 and east["score"] == -3
    # Without any track in the district that week, coverage is not counted for anyone.
    TrackPiece.objects.all().delete()
    end = start + dt.timedelta(days=7) - dt.timedelta(hours=9)
    quiet = ranking.standings(tree["county"].code, start - dt.timedelta(hours=9), end)
    assert quiet and all(p.coverage is None and p.coverage_points == 0 for p in quiet.values())


def test_the_administrator_sets_the_check_cadences(admin_client):
    listing = admin_client.get("/admin/field/checkcadence/")
    assert listing.status_code == 200 and "school" in listing.content.decode()
    changed = admin_client.post("/admin/field/checkcadence/school/change/", {"kind": "school", "every_days": "14"})
    assert changed.status_code == 302
    assert CheckCadence.objects.get(kind="school").every_days == 14


def test_department_accounts_see_no_coverage_on_any_path(world, tree):
    """A department sees the matters dispatched to it (docs/desk.md), not the grid workers' patrols: the API,
    the stats and area detail sections, the tiles and the dashboards' panel and map agree."""
    from geo.access import access_for_token
    from layers.dashboards import maps, sections
    from layers.desk.departments import seed

    seed(tree["county"].code)
    _, world.keys["sfj"] = create_user("sfj", "department", tree["county"].code, department="419001-SFJ",
                                       personal_data=True)
    assert upload(world, "gw_west", walk(30, start=(112.4495, ROW_LAT))).status_code == 201
    county = tree["county"].code
    refused = world.get("sfj", f"/api/coverage/{county}")
    assert refused.status_code == 403 and "department" in refused.json()["error"]["message"]
    assert world.get("sfj", f"/api/stats/{county}").json()["coverage"] is None
    assert world.get("sfj", f"/api/areas/{WEST}").json()["coverage"] is None
    for layer in ("coverage", "tracks", "grids,coverage"):
        assert _tile(world, "sfj", layer, z=12).status_code == 403, layer
    assert _tile(world, "sfj", "grids", z=12).status_code in (200, 204)
    sfj = access_for_token(world.keys["sfj"])
    assert "coverage" not in {p.get("key") for p in sections.panels(sfj, county, "en")}
    spec = maps.MapSpec(bounds=(112.4, 35.0, 112.6, 35.1), text={"layer_coverage": "c", "layer_tracks": "t"},
                        personal=True, patrols=False)
    assert maps._add_coverage(None, spec) is None and maps._add_tracks(None, spec) is None
    # Everyone else who may read the unit sees them.
    assert world.get("op", f"/api/coverage/{county}").json()["unit"]["buildings_passed"] == 5
    assert world.get("op", f"/api/stats/{county}").json()["coverage"]["unit"]["buildings_passed"] == 5
    assert _tile(world, "op", "coverage", z=12).status_code == 200
    assert "coverage" in {p.get("key") for p in sections.panels(access_for_token(world.keys["op"]), county, "en")}
