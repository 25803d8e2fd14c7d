"""Partition pruning on reads (issue 21): the incidents and their events are partitioned by county, and a
read scoped to a county or below reads only that county's partitions, one above the county only its
counties' (geo/scope.py). Shown with EXPLAIN on every statement /api/stats runs for a county and a
province, on a county's incident tile, export and event log; the results themselves are the other tests'
(figures, tiles, exports), which run unchanged."""

from __future__ import annotations

import datetime as dt
import re

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from geo import sql
from geo.scope import counties_sql, county_bounds, county_codes, county_sql, incident_scope
from grids.models import Area
from layers.dashboards import wall
from layers.figures.counts import Selection, by_area
from layers.incidents.filters import Filters
from layers.models import Incident
from tests.support.incidents import EAST_POINT, WEST_POINT, make_world
from tests.support.locks import held_elsewhere
from tests.support.tiles import tile_of
from tiles import registry, service
from tiles.registry import TileQuery

COUNTY = "419001"
OTHERS = ("620981", "621122")  # partitions of two other counties, empty: only the planner looks at them
PARTITION = re.compile(r"\b(layers_incident(?:event)?_(?:\d{6}|default))\b")


@pytest.fixture
def world(tree):
    world = make_world(tree)
    # The county under its province and its (province-administered) city, as load_demo places it.
    province = Area.objects.create(code="41", name="河南省", level=-1, boundary=tree["county"].boundary)
    city = Area.objects.create(code="4190", name="省直辖县级行政区划", level=0, parent=province,
                               boundary=tree["county"].boundary)
    Area.objects.filter(code=COUNTY).update(parent=city)
    with connection.cursor() as cur:
        for county in (COUNTY, *OTHERS):
            cur.execute("SELECT layers_incident_partition(%s)", [county])
    now = timezone.now()
    for n in range(12):
        point = WEST_POINT if n % 2 else EAST_POINT
        world.report(point=point, category="dispute")
    Incident.objects.filter(id__in=Incident.objects.order_by("id").values("id")[:4]).update(
        reported_at=now - dt.timedelta(days=70))
    with connection.cursor() as cur:
        cur.execute("ANALYZE layers_incident")
    return world


def partitions(statement: str, params) -> set[str]:
    """The partitions of the incidents and events the plan of a statement reads."""
    with psycopg.Cursor(connection.connection) as cur:  # bound on the server, as geo.sql.rows runs it
        cur.execute("EXPLAIN (COSTS OFF) " + statement, params or None)
        plan = "\n".join(row[0] for row in cur.fetchall())
    return set(PARTITION.findall(plan))


def test_the_county_a_prefix_implies(db):
    assert county_bounds(None) is None and county_bounds("") is None
    assert county_bounds("419001103") == ("419001", "419001")
    assert county_bounds("4190011032000011234") == ("419001", "419001")
    assert county_bounds("41") == ("410000", "419999")
    assert county_bounds("6211") == ("621100", "621199")
    assert county_sql("i.county_code", "419001") == " AND i.county_code = '419001'"
    assert county_sql("i.county_code", "62") == " AND i.county_code BETWEEN '620000' AND '629999'"
    assert incident_scope("i", "p", "") == "true"
    with pytest.raises(ValueError):
        county_bounds("41' OR true --")


@pytest.mark.parametrize(("who", "code", "wanted"), [
    ("op", COUNTY, {COUNTY}), ("op", "419001103", {COUNTY}), ("op", "419001103200001", {COUNTY}),
    # Above the county: its counties' partitions (each has its own: the default one is left out).
    ("admin", "4190", {COUNTY}), ("admin", "41", {COUNTY})])
def test_stats_reads_only_the_scopes_partitions(world, monkeypatch, who, code, wanted):
    """Every statement of /api/stats (the unit, its children, comparisons, breakdowns, the desk and the
    other apps' sections) that reads the incidents reads only the partitions of the counties in scope."""
    seen: list[tuple[str, dict | None]] = []
    rows = sql.rows

    def recording(statement, params=None, **kwargs):
        seen.append((statement, params))
        return rows(statement, params, **kwargs)

    monkeypatch.setattr(sql, "rows", recording)
    with CaptureQueriesContext(connection) as orm:
        response = world.get(who, f"/api/stats/{code}", {"children": "1", "by": "class,subclass,source"})
        assert response.status_code == 200, response.content[:300]
        # A source narrowing is counted from the rows (the rollup has no source): the rows' statement too.
        by_area(Selection(timezone.now() - dt.timedelta(days=100), None, prefix=code, sources=("walk_in",)), None)
    checked = 0
    for statement, params in seen + [(q["sql"], None) for q in orm.captured_queries]:
        if not re.search(r"\blayers_incident(event)?\b", statement):
            continue
        counties = {p.rsplit("_", 1)[1] for p in partitions(statement, params)}
        assert counties <= wanted, (counties, statement[:600])
        checked += 1
    assert checked >= 3


def test_a_countys_incident_tile_reads_only_its_partition(world):
    z, x, y = 16, *tile_of(*WEST_POINT, 16)
    for prefix, wanted in ((COUNTY, {f"layers_incident_{COUNTY}"}), ("419001103", {f"layers_incident_{COUNTY}"})):
        q = TileQuery(z, x, y, Filters(), prefix)
        statement, extra = registry.incident_points_sql(q)
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (COSTS OFF) SELECT " + statement, {**q.params(), **extra})
            plan = "\n".join(row[0] for row in cur.fetchall())
        assert set(PARTITION.findall(plan)) == wanted, plan
    # Without a scope, the tile reads every county's partition (the location alone narrows it).
    q = TileQuery(z, x, y, Filters(), None)
    statement, extra = registry.incident_points_sql(q)
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (COSTS OFF) SELECT " + statement, {**q.params(), **extra})
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert {f"layers_incident_{c}" for c in (COUNTY, *OTHERS)} <= set(PARTITION.findall(plan))


@pytest.mark.parametrize("z", [5, 6, 7, 9, 10, 12])
@pytest.mark.parametrize("filters", [Filters(), Filters(since=dt.date.today() - dt.timedelta(days=100)),
                                     Filters(sources=("walk_in",)), Filters(flags=("due_soon",))],
                         ids=["running", "since", "source", "flag"])
def test_a_low_zoom_tile_without_a_scope_reads_only_the_partitions_of_its_counties(world, z, filters):
    """An administrator's tile (no prefix) at a province's, a city's or a county's zoom counts from the
    incidents' rows too (matters closed after the moment taken, a period's edges, a source or flag filter):
    its statement names the counties of the areas it draws (registry.tile_counties), so the planner reads
    their partitions only, not every county's nor the default one."""
    x, y = tile_of(*WEST_POINT, z)
    q = TileQuery(z, x, y, filters, None)
    layers = [registry.REGISTRY[name] for name in ("grids", "incidents", "workload")]
    with CaptureQueriesContext(connection) as captured:
        body = service.build(layers, q, connection)
    assert body
    lookup, statement = (query["sql"] for query in captured.captured_queries)
    assert "tiles_areadisplay" in lookup and "layers_incident" not in lookup
    assert re.search(r"\blayers_incident\b", statement)
    assert partitions(statement, None) == {f"layers_incident_{COUNTY}"}, statement[:600]
    # A tile with no area of its level reads no partition at all.
    empty = TileQuery(z, *tile_of(100.0, 20.0, z), filters, None)
    with CaptureQueriesContext(connection) as captured:
        service.build(layers, empty, connection)
    assert partitions(captured.captured_queries[-1]["sql"], None) == set()


def test_the_counties_a_tile_names():
    assert counties_sql("i.county_code", ["419001", "370812", "419001"]) == (
        " AND i.county_code IN ('370812', '419001')")
    assert counties_sql("i.county_code", []) == " AND false"
    for bad in ("41900", "4190011", "41900'"):
        with pytest.raises(ValueError):
            counties_sql("i.county_code", [bad])


def test_the_orm_scope_the_event_log_and_the_area_detail_read_only_the_countys_partition(world):
    with CaptureQueriesContext(connection) as orm:
        list(Incident.objects.within("419001103").values_list("id", flat=True))
        pk = Incident.objects.within(COUNTY).values_list("id", flat=True).first()
        assert world.get("op", f"/api/incidents/{pk}/events").status_code == 200
        # The area detail counts the open incidents of the area (grids' placed tables).
        for code in (COUNTY, "419001103"):
            assert world.get("op", f"/api/areas/{code}").json()["counts"]["open_incidents"] > 0
    statements = [q["sql"] for q in orm.captured_queries
                  if re.search(r'\blayers_incident(event)?"', q["sql"])]
    assert len(statements) >= 5
    for statement in statements:
        counties = {p.rsplit("_", 1)[1] for p in partitions(statement, None)}
        assert counties <= {COUNTY}, statement


def test_a_city_or_a_province_names_its_counties_while_each_has_its_own_partitions(world):
    assert county_codes("41") == [COUNTY] and county_codes("4190") == [COUNTY]
    assert county_sql("i.county_code", "41") == f" AND i.county_code IN ('{COUNTY}')"
    assert Incident.objects.within("41").count() == Incident.objects.count() == 12
    # A county of the province without partitions yet (created, its partitions not made): its incidents
    # are in the default partition, so the province reads the range, the default partition with it.
    boundary = Area.objects.get(code=COUNTY).boundary
    city = Area.objects.create(code="4115", name="信阳市", level=0, parent=Area.objects.get(code="41"),
                               boundary=boundary)
    Area.objects.create(code="411502", name="浉河区", level=1, parent=city, boundary=boundary)
    assert county_codes("41") is None
    assert county_sql("i.county_code", "41") == " AND i.county_code BETWEEN '410000' AND '419999'"
    statement, params = f"SELECT count(*) FROM layers_incident i WHERE {incident_scope('i', 'p', '41')}", {"p": "41%"}
    assert {p.rsplit("_", 1)[1] for p in partitions(statement, params)} == {COUNTY, "default"}
    assert county_codes("4190") == [COUNTY]  # its city's counties all have theirs
    assert county_codes("11") is None  # no county there


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_province_read_does_not_wait_for_a_county_being_attached(tree, inside_west, inside_east):
    """Attaching a county's partition (a county loaded beside the others) locks the default partition until
    its transaction ends; the province's reads, which leave the default partition out, do not wait for it."""
    province = Area.objects.create(code="41", name="河南省", level=-1, boundary=tree["county"].boundary)
    city = Area.objects.create(code="4190", name="省直辖县级行政区划", level=0, parent=province,
                               boundary=tree["county"].boundary)
    Area.objects.filter(code=COUNTY).update(parent=city)
    assert county_codes("41") == [COUNTY]  # made after the county's commit (layers/partitions.py)
    for point in (inside_west, inside_east):
        Incident.objects.create(location=point, category="dispute", source="grid_discovery")
    with held_elsewhere("layers_incident_default", "ACCESS EXCLUSIVE"):  # as ATTACH takes it
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")  # a wait would fail the test, not hang it
        try:
            assert Incident.objects.within("41").count() == 2
            figures = by_area(Selection(timezone.now() - dt.timedelta(days=30), None, prefix="41"), -1)
            assert figures["41"].intake == 2
            assert len([item for item in wall.feed("41", "", timezone.now()) if item["kind"] == "new"]) == 2
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
