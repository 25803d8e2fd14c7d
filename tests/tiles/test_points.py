"""The raw-points incidents tile (z16-18) read index-only through incident_tile_points (tiles/points.py):
the SQL key and the Python ranges agree, a tile decodes to exactly the features the former query (GiST
index, heap rows, ST_AsMVTGeom, ST_Centroid of cluster cells) drew, points and cluster cells alike, at the
tile's buffer edges too, and the plan reads the index, not the heap."""

from __future__ import annotations

import datetime as dt
import math
import random
import re

import mapbox_vector_tile
import pytest
from django.db import connection
from django.utils import timezone

from layers.figures.counts import flag_sql, row_conditions
from layers.incidents.filters import Filters
from tests.support.plans import index_columns, scanned_columns
from tests.support.tiles import make, tile_of
from tiles import registry
from tiles.points import KEY_BITS, key_ranges, morton, point_key, tile_range
from tiles.registry import BENV_4326, BUFFER, ENV, EXTENT, TileQuery, selection

# Inside the tile proper (x from its west edge, y down from its north edge, as tile rows go).
INSIDE = (f"(ST_X(ST_Transform(i.location, 3857)) >= ST_XMin({ENV}) AND ST_X(ST_Transform(i.location, 3857)) "
          f"< ST_XMax({ENV}) AND ST_Y(ST_Transform(i.location, 3857)) > ST_YMin({ENV}) "
          f"AND ST_Y(ST_Transform(i.location, 3857)) <= ST_YMax({ENV}))")


def reference_sql(q: TileQuery, max_points: int) -> tuple[str, dict]:
    """The raw-points tile as it was built before incident_tile_points: the yardstick for the new one. One
    change: the cap counts the points inside the tile proper, where the former counted every row the
    float-rounded `&&` box let through (the buffer, and up to a metre past it)."""
    conditions, params = row_conditions(selection(q))
    scope = " AND i.grid_code LIKE %(prefix)s" if q.prefix else ""
    points = f"""
        SELECT i.id, i.category AS class, i.subcategory, i.severity, i.status, i.source, i.grid_code AS grid,
               to_char(figures_day(i.reported_at), 'YYYY-MM-DD') AS reported,
               coalesce(figures_overdue(i.closed_at, i.due_at, now()), false) AS overdue,
               coalesce({flag_sql("accept_overdue", "i").replace("%(f_at)s", "now()")}, false) AS accept_overdue,
               coalesce({flag_sql("due_soon", "i").replace("%(f_at)s", "now()")}, false) AS due_soon,
               ST_AsMVTGeom(ST_Transform(i.location, 3857), {ENV}, %(extent)s, %(buffer)s, true) AS geom,
               {INSIDE} AS inside
        FROM layers_incident i
        WHERE i.location && {BENV_4326}{scope}{conditions}"""
    sql = f"""(WITH pts AS MATERIALIZED ({points})
        SELECT CASE WHEN (SELECT count(*) FROM pts WHERE inside) <= %(max_points)s
            THEN (SELECT coalesce(ST_AsMVT(t, 'incidents', %(extent)s, 'geom', 'id'), ''::bytea) FROM (
                      SELECT id, class, subcategory, severity, status, source, grid, reported, overdue,
                             accept_overdue, due_soon, geom FROM pts) t)
            ELSE (SELECT coalesce(ST_AsMVT(c, 'incidents', %(extent)s, 'geom'), ''::bytea) FROM (
                      SELECT count(*)::int AS count, count(*) FILTER (WHERE status = ANY(%(open)s))::int AS open,
                             count(*) FILTER (WHERE overdue)::int AS overdue,
                             count(*) FILTER (WHERE accept_overdue)::int AS accept_overdue,
                             count(*) FILTER (WHERE due_soon)::int AS due_soon, true AS cluster,
                             ST_SnapToGrid(ST_Centroid(ST_Collect(geom)), 1) AS geom
                      FROM pts WHERE geom IS NOT NULL
                      GROUP BY floor(ST_X(geom) / 64), floor(ST_Y(geom) / 64)) c)
        END)"""
    return sql, {**params, "max_points": max_points}


def tile_bytes(sql_of, q: TileQuery) -> bytes:
    sql, extra = sql_of(q)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + sql, {**q.params(), **extra})
        return bytes(cursor.fetchone()[0])


def decoded(data: bytes) -> list:
    """The tile's features as comparable tuples (id, properties, position), in a fixed order."""
    found = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True}).get("incidents", {}) if data else {}
    return sorted((f.get("id") or 0, sorted(f["properties"].items()), f["geometry"]["coordinates"])
                  for f in found.get("features", []))


def lonlat_of(z: int, x: int, y: int, u: float, v: float) -> tuple[float, float]:
    """The point at tile units (u, v) of tile z/x/y (v down)."""
    n = 2 ** z
    lon = (x + u / EXTENT) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + v / EXTENT) / n))))
    return lon, lat


# ----------------------------------------------------------------------------------- key and ranges

def test_sql_key_equals_python_key_and_falls_in_its_tiles_range(db):
    rng = random.Random(3)
    points = [(rng.uniform(-179.9, 179.9), rng.uniform(-85, 85)) for _ in range(200)]
    points += [(112.45, 35.05), (0.0, 0.0), (-180.0, 85.0511), (179.999999, -85.0511)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tiles_point_key(ST_SetSRID(ST_MakePoint(lon, lat), 4326)), "
                       "ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857)), "
                       "ST_Y(ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857)) "
                       "FROM unnest(%s::float8[], %s::float8[]) AS p(lon, lat)",
                       [[p[0] for p in points], [p[1] for p in points]])
        rows = cursor.fetchall()
    for (lon, lat), (key, mx, my) in zip(points, rows, strict=True):
        assert key == point_key(mx, my)
        assert 0 <= key < 1 << (2 * KEY_BITS)
        if abs(lat) < 85:
            for z in (16, 17, 18):
                lo, hi = tile_range(z, *tile_of(lon, lat, z))
                assert lo <= key < hi, (lon, lat, z)


def test_ranges_cover_the_tile_and_twice_its_buffer_and_nothing_else():
    z, x, y = 16, *tile_of(112.45, 35.05, 16)
    los, his = key_ranges(z, x, y, EXTENT, BUFFER)
    assert los == sorted(los) and all(lo < hi for lo, hi in zip(los, his, strict=True))
    assert all(hi < lo for hi, lo in zip(his, los[1:], strict=False))  # merged: no two ranges touch
    rng = random.Random(5)
    covered = lambda key: any(lo <= key < hi for lo, hi in zip(los, his, strict=True))  # noqa: E731
    scale = 2 ** (KEY_BITS - z) / EXTENT  # key cells per tile unit
    for _ in range(2000):
        u, v = rng.uniform(-2 * BUFFER - 20, EXTENT + 2 * BUFFER + 20), rng.uniform(-2 * BUFFER - 20,
                                                                                EXTENT + 2 * BUFFER + 20)
        key = point_key_from_units(x, y, u, v, scale)
        inside = -2 * BUFFER <= u < EXTENT + 2 * BUFFER and -2 * BUFFER <= v < EXTENT + 2 * BUFFER
        assert covered(key) == inside, (u, v)
    with pytest.raises(ValueError, match="power-of-two"):
        key_ranges(16, x, y, 4096, 48)


def point_key_from_units(x: int, y: int, u: float, v: float, scale: float) -> int:
    return morton(int(math.floor((x * EXTENT + u) * scale)), int(math.floor((y * EXTENT + v) * scale)))


# ---------------------------------------------------------------------------- same tile as before

@pytest.fixture
def scattered(county):
    """~300 incidents over a z16 tile and its surroundings, a third of them within a few units of the
    buffer's edges (where rounding decides), in every status, some overdue or near their time limits."""
    z, x, y = 16, *tile_of(112.4503, 35.0502, 16)
    rng = random.Random(11)
    spots = [(rng.uniform(-200, EXTENT + 200), rng.uniform(-200, EXTENT + 200)) for _ in range(200)]
    edges = (-BUFFER - 0.5, -BUFFER - 0.49, -BUFFER + 0.3, EXTENT + BUFFER + 0.49, EXTENT + BUFFER + 0.5,
             EXTENT + BUFFER + 1.2)
    spots += [(rng.choice(edges), rng.uniform(0, EXTENT)) for _ in range(50)]
    spots += [(rng.uniform(0, EXTENT), rng.choice(edges)) for _ in range(50)]
    now = timezone.now()
    statuses = ["reported", "accepted", "dispatched", "closed", "resolved"]
    for i, (u, v) in enumerate(spots):
        lon, lat = lonlat_of(z, x, y, u, v)
        status = statuses[i % len(statuses)]
        make(lon, lat, status=status, category=["dispute", "petition", "safety_hazard"][i % 3],
             severity=["general", "larger"][i % 2], reported_at=now - dt.timedelta(days=i % 40),
             due_at=now + dt.timedelta(hours=(i % 7) * 10 - 30),
             accept_due_at=now - dt.timedelta(hours=1) if i % 4 == 0 else None)
    return z, x, y


@pytest.mark.parametrize("zoom", [16, 17, 18])
def test_points_tile_decodes_to_the_former_features(scattered, zoom):
    z, x, y = scattered
    zx, zy = x * 2 ** (zoom - z), y * 2 ** (zoom - z)
    checked = 0
    for dx in range(2 ** (zoom - z)):
        for dy in range(2 ** (zoom - z)):
            q = TileQuery(zoom, zx + dx, zy + dy, Filters(), None)
            before = decoded(tile_bytes(lambda q: reference_sql(q, registry.MAX_POINTS), q))
            after = decoded(tile_bytes(registry.incident_points_sql, q))
            assert after == before
            checked += len(after)
    assert checked >= 150  # the tiles held the points (of 300, some beyond the buffer)


def test_points_tile_with_filters_and_scope_equals_the_former(scattered, county):
    z, x, y = scattered
    filters = Filters(categories=("dispute", "petition"), statuses=("reported", "closed"))
    for prefix in (None, county["west"].code[:12], county["east"].code):
        q = TileQuery(z, x, y, filters, prefix)
        before = decoded(tile_bytes(lambda q: reference_sql(q, registry.MAX_POINTS), q))
        assert decoded(tile_bytes(registry.incident_points_sql, q)) == before
    q = TileQuery(z, x, y, Filters(flags=("accept_overdue",)), None)
    before = decoded(tile_bytes(lambda q: reference_sql(q, registry.MAX_POINTS), q))
    assert before and decoded(tile_bytes(registry.incident_points_sql, q)) == before


@pytest.mark.parametrize("cap", [5, 60])
def test_cluster_cells_equal_the_former(scattered, monkeypatch, cap):
    monkeypatch.setattr(registry, "MAX_POINTS", cap)
    z, x, y = scattered
    q = TileQuery(z, x, y, Filters(), None)
    before = decoded(tile_bytes(lambda q: reference_sql(q, cap), q))
    after = decoded(tile_bytes(registry.incident_points_sql, q))
    assert after == before
    assert all(dict(props)["cluster"] for _, props, _ in after)
    assert sum(dict(props)["count"] for _, props, _ in after) > cap


def test_the_cap_counts_the_points_inside_the_tile(scattered, monkeypatch):
    """Exactly MAX_POINTS points in the tile proper are sent as points (with those of the buffer); one
    more turns the tile into cells, which count the buffer's points too."""
    z, x, y = scattered
    q = TileQuery(z, x, y, Filters(), None)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM layers_incident i WHERE {INSIDE}", q.params())
        inside = cursor.fetchone()[0]
    shown = decoded(tile_bytes(registry.incident_points_sql, q))
    assert 100 < inside < len(shown)  # the buffer holds points too
    monkeypatch.setattr(registry, "MAX_POINTS", inside)
    assert decoded(tile_bytes(registry.incident_points_sql, q)) == shown
    monkeypatch.setattr(registry, "MAX_POINTS", inside - 1)
    cells = decoded(tile_bytes(registry.incident_points_sql, q))
    assert all(dict(p)["cluster"] for _, p, _ in cells)
    assert sum(dict(p)["count"] for _, p, _ in cells) == len(shown)


@pytest.mark.parametrize("prefix", [None, "419001"])  # an administrator's tile; a county user's, scoped
def test_points_are_read_from_the_index_only(scattered, prefix):
    z, x, y = scattered
    with connection.cursor() as cursor:
        q = TileQuery(z, x, y, Filters(), prefix)
        sql, extra = registry.incident_points_sql(q)
        cursor.execute("EXPLAIN SELECT " + sql, {**q.params(), **extra})
        plan = "\n".join(row[0] for row in cursor.fetchall())
        # The incidents are partitioned by county: each partition has its own copy of the index, named after it.
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = 'incident_tile_points'::regclass")
        copies = {"incident_tile_points", *(row[0] for row in cursor.fetchall())}
        # The partitions holding the tile's incidents (an empty one, such as the default partition once a
        # county has its own, is read by a sequential scan of nothing, which is the right plan for it).
        cursor.execute("SELECT DISTINCT tableoid::regclass::text FROM layers_incident")
        holding = {row[0] for row in cursor.fetchall()}
    # Index-only once vacuum has marked the pages all-visible (a test's rows are not yet): the index either way.
    assert holding and copies & set(re.findall(r"using (\w+)", plan)), plan
    assert "layers_incident_location" not in plan, plan
    assert not {name for name in re.findall(r"Seq Scan on (\w+)", plan) if name in holding}, plan
    # And the index alone can answer it: every scan of a partition holding incidents reads only columns the
    # index holds (a column it lacks, such as the county every scoped read now names, sends each point's
    # read to the table: tiles migration 0009).
    held = index_columns("incident_tile_points")
    scans = [(table, columns) for table, columns in scanned_columns("SELECT " + sql, {**q.params(), **extra})
             if table in holding]
    assert scans, plan
    for table, columns in scans:
        assert columns <= held, (table, columns - held)
        assert prefix is None or "county_code" in columns
