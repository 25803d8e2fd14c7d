"""Generated demo counties, every preset at a small scale, checked with PostGIS.

Each preset is loaded once for the module (committed, then truncated at the end), and every check
below runs against it: codes, nesting, tiling, placement, counts against the plan, outcomes.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
import shapely
from django.core.management import call_command
from django.db import connection

from fixtures import load as demo
from fixtures.geometry import LocalFrame, reading_order
from fixtures.incidents import SEVERITIES
from fixtures.scenarios import SCENARIO_IDS, get_preset, plan, scenario_json
from grids.codes import Level, validate_code, validate_kind
from layers.models import TimeLimit

# Small enough to load in a few seconds, large enough to have several villages per township.
SCALES = {"jiyuan": 0.04, "longxi": 0.03, "jingyang": 0.08, "yanzhou": 0.05, "yumen": 0.1}
INCIDENTS = 3000
AS_OF = dt.datetime(2025, 6, 30, tzinfo=dt.UTC)


def rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def value(sql: str, params=None):
    return rows(sql, params)[0][0]


@pytest.fixture(scope="module", params=SCENARIO_IDS)
def county(request, django_db_setup, django_db_blocker):
    """One preset, loaded and committed for the module's checks, removed afterwards."""
    scenario = request.param
    with django_db_blocker.unblock():
        call_command("load_demo", "--scenario", scenario, "--scale", str(SCALES[scenario]), "--incidents",
                     str(INCIDENTS), "--as-of", AS_OF.date().isoformat(), "--replace", "--no-progress",
                     verbosity=0)
        yield {"id": scenario, "preset": get_preset(scenario), "plan": plan(get_preset(scenario), SCALES[scenario])}
        with connection.cursor() as cur:
            demo.clear(cur)


pytestmark = pytest.mark.django_db


def test_codes_are_valid_and_consistent_with_their_parents(county):
    areas = rows("SELECT a.code, a.level, a.kind, a.parent_code, p.level, a.illustrative FROM grids_area a "
                 "LEFT JOIN grids_area p ON p.code = a.parent_code")
    assert len(areas) == len(set(a[0] for a in areas))
    for code, level, kind, parent, parent_level, illustrative in areas:
        validate_code(code, level, parent, parent_level)
        validate_kind(kind, level, code)
        assert illustrative, f"{code} must be marked illustrative"
    assert value("SELECT count(*) FROM grids_area WHERE level = 1") == 1
    assert value("SELECT code FROM grids_area WHERE level = 1") == county["preset"].division_code
    # Communities only under urban townships' ranges of kind, villages by their range.
    kinds = dict(rows("SELECT kind, count(*) FROM grids_area WHERE level = 3 GROUP BY kind"))
    assert kinds.get("community", 0) == county["plan"].communities
    assert kinds.get("village", 0) == county["plan"].villages


def test_townships_are_the_official_ones_or_synthesized_by_kind(county):
    found = rows("SELECT code, name, kind FROM grids_area WHERE level = 2 ORDER BY code")
    preset = county["preset"]
    if preset.official_townships:  # 济源: the 16 real codes and names
        assert [(c, n) for c, n, _ in found] == [tuple(t) for t in scenario_json(county["id"])["townships"]]
        return
    streets, towns, xiang, parks = preset.synth_townships
    kinds = [k for _, _, k in found]
    assert (kinds.count("street"), kinds.count("town"), kinds.count("township"), kinds.count("special")) == \
        (streets, towns, xiang, parks)
    assert len({n for _, n, _ in found}) == len(found)


def test_every_area_lies_inside_its_parent(county):
    outside = rows("SELECT a.code FROM grids_area a JOIN grids_area p ON p.code = a.parent_code "
                   "WHERE NOT ST_CoveredBy(a.boundary, p.boundary)")
    assert outside == []
    # A dedicated grid sits inside one basic grid of its village.
    homeless = rows("SELECT d.code FROM grids_area d WHERE d.level = 5 AND NOT EXISTS ("
                    "SELECT 1 FROM grids_area g WHERE g.level = 4 AND g.parent_code = d.parent_code "
                    "AND ST_Within(d.boundary, g.boundary))")
    assert homeless == []


def test_siblings_do_not_overlap(county):
    # Interiors intersecting (DE-9IM 2********) is an overlap; sharing an edge is not.
    overlapping = rows("SELECT a.code, b.code FROM grids_area a JOIN grids_area b "
                       "ON a.parent_code = b.parent_code AND a.level = b.level AND a.code < b.code "
                       "AND a.boundary && b.boundary AND ST_Relate(a.boundary, b.boundary, '2********')")
    assert overlapping == []
    assert value("SELECT count(*) FROM grids_area WHERE level = 5") == county["plan"].dedicated_grids


@pytest.mark.parametrize("child_level", [Level.TOWNSHIP, Level.VILLAGE, Level.GRID])
def test_children_tile_their_parent(county, child_level):
    """The union of a parent's children (basic grids for a village) is the parent, within 1e-9 of its area."""
    gaps = rows(
        "SELECT p.code, ST_Area(ST_SymDifference(ST_Union(c.boundary), p.boundary)) / ST_Area(p.boundary) "
        "FROM grids_area p JOIN grids_area c ON c.parent_code = p.code AND c.level = %s "
        "GROUP BY p.code, p.boundary", [int(child_level)])
    assert gaps
    assert max(g[1] for g in gaps) < 1e-9, [g for g in gaps if g[1] >= 1e-9][:5]


def test_areas_are_valid_multipolygons_without_slivers(county):
    assert value("SELECT count(*) FROM grids_area WHERE NOT ST_IsValid(boundary) "
                 "OR GeometryType(boundary) <> 'MULTIPOLYGON'") == 0
    # Polsby-Popper compactness of basic grids: a sliver scores near 0, a square 0.785.
    worst = value("SELECT min(4 * pi() * ST_Area(boundary::geography) / ST_Perimeter(boundary::geography) ^ 2) "
                  "FROM grids_area WHERE level = 4")
    assert worst > 0.1
    # No grid smaller than 5 % of the mean grid of its village.
    assert value("SELECT count(*) FROM (SELECT ST_Area(boundary) / avg(ST_Area(boundary)) OVER (PARTITION BY "
                 "parent_code) AS share FROM grids_area WHERE level = 4) s WHERE share < 0.05") == 0


def test_basic_grids_are_numbered_west_to_east_then_north_to_south(county):
    """Codes follow the documented reading order: rows of height √(village area / grids) from the
    village's northern edge, north→south, and west→east within a row (in metres on the ground)."""
    west, south, east, north = county["preset"].extent
    frame = LocalFrame((west + east) / 2, (south + north) / 2)
    to_metres = shapely.affinity.affine_transform
    villages = rows("SELECT code, ST_AsBinary(boundary) FROM grids_area WHERE level = 3")
    grids = rows("SELECT parent_code, code, ST_AsBinary(boundary) FROM grids_area WHERE level = 4 ORDER BY code")
    by_village: dict[str, list] = {}
    for parent, code, wkb in grids:
        by_village.setdefault(parent, []).append((code, wkb))
    matrix = [frame.kx, 0, 0, 110_574.0, -frame.lon0 * frame.kx, -frame.lat0 * 110_574.0]
    for vcode, vwkb in villages:
        village = to_metres(shapely.from_wkb(bytes(vwkb)), matrix)
        members = by_village[vcode]
        pieces = [to_metres(shapely.from_wkb(bytes(w)), matrix) for _, w in members]
        order = reading_order(pieces, village.bounds[3], math.sqrt(village.area / len(pieces)))
        assert [members[i][0] for i in order] == [f"{vcode}{k:03d}" for k in range(1, len(members) + 1)]


def test_buildings_and_rooms_have_unified_address_codes(county):
    assert value("SELECT count(*) FROM layers_building WHERE address_code !~ '^[0-9]{17}$' "
                 "OR right(address_code, 5) = '00000' OR left(address_code, 12) <> left(grid_code, 12)") == 0
    assert value("SELECT count(*) FROM layers_building b LEFT JOIN grids_area v "
                 "ON v.code = left(b.address_code, 12) AND v.level = 3 WHERE v.code IS NULL") == 0
    bad_rooms = value(
        "SELECT count(*) FROM layers_room r JOIN layers_building b ON b.id = r.building_id "
        "WHERE r.address_code <> b.address_code || lpad(r.unit::text, 2, '0') || lpad(r.floor::text, 3, '0') "
        "|| right(r.address_code, 3) OR right(r.address_code, 3) = '000' OR r.floor > b.floors")
    assert bad_rooms == 0
    assert value("SELECT count(*) FROM layers_building b WHERE NOT EXISTS "
                 "(SELECT 1 FROM layers_room r WHERE r.building_id = b.id)") == 0


def test_buildings_places_and_incidents_lie_in_the_grid_they_are_assigned_to(county):
    for table in ("layers_building", "layers_place", "layers_incident"):
        assert value(f"SELECT count(*) FROM {table} WHERE grid_code IS NULL") == 0, table
        outside = value(f"SELECT count(*) FROM {table} t JOIN grids_area g ON g.code = t.grid_code "
                        "WHERE g.level <> 4 OR NOT ST_Intersects(g.boundary, t.location)")
        assert outside == 0, table
    # The bulk load follows the placement trigger's rule exactly (lowest code wins on an edge).
    assert value("SELECT count(*) FROM layers_incident WHERE grid_code IS DISTINCT FROM gridmap_area_at(location, 4) "
                 "OR dedicated_code IS DISTINCT FROM gridmap_area_at(location, 5)") == 0
    assert value("SELECT count(*) FROM layers_building WHERE grid_code IS DISTINCT FROM "
                 "gridmap_area_at(location, 4)") == 0
    # An incident at a building is at the building's point.
    assert value("SELECT count(*) FROM layers_incident i JOIN layers_building b ON b.id = i.building_id "
                 "WHERE NOT ST_Equals(i.location, b.location)") == 0
    at_buildings = value("SELECT avg((building_id IS NOT NULL)::int) FROM layers_incident")
    assert 0.7 < at_buildings < 0.9
    assert value("SELECT count(*) FROM layers_incident WHERE dedicated_code IS NOT NULL") > 0


def test_counts_follow_the_plan(county):
    the_plan = county["plan"]
    levels = dict(rows("SELECT level, count(*) FROM grids_area GROUP BY level"))
    assert levels[2] == the_plan.townships == county["preset"].township_count
    assert levels[3] == the_plan.communities + the_plan.villages
    kinds = dict(rows("SELECT kind, count(*) FROM grids_area WHERE level = 4 GROUP BY kind"))
    assert kinds.get("urban", 0) == the_plan.urban_grids
    assert kinds.get("rural", 0) == the_plan.rural_grids
    assert value("SELECT count(*) FROM layers_building") == the_plan.buildings
    assert value("SELECT count(*) FROM layers_room") == the_plan.rooms
    assert value("SELECT count(*) FROM grids_worker") == the_plan.workers
    assert value("SELECT count(*) FROM layers_place WHERE kind = 'camera'") == the_plan.cameras
    assert value("SELECT count(*) FROM layers_incident") == INCIDENTS
    # Every basic grid has a worker; streets are denser in buildings than towns.
    assert value("SELECT count(*) FROM grids_area g WHERE level = 4 AND NOT EXISTS "
                 "(SELECT 1 FROM grids_assignment a WHERE a.area_code = g.code)") == 0
    density = dict(rows(
        "SELECT g.kind, sum((SELECT count(*) FROM layers_building b WHERE b.grid_code = g.code)) "
        "/ sum(ST_Area(g.boundary::geography)) FROM grids_area g WHERE g.level = 4 GROUP BY g.kind"))
    assert density["urban"] > 2 * density["rural"]


def test_counts_are_proportional_to_the_scenario(county):
    preset, scale = county["preset"], SCALES[county["id"]]
    the_plan = county["plan"]
    # Rounding, and at least one unit per parent, are the only departures from scale × article.
    assert abs(the_plan.urban_grids - preset.urban_grids * scale) <= max(1, the_plan.communities)
    assert abs(the_plan.rural_grids - preset.rural_grids * scale) <= max(1, the_plan.villages)
    assert abs(the_plan.dedicated_grids - preset.dedicated_grids * scale) <= 1
    assert abs(the_plan.buildings / the_plan.population - 122_000 / 627_000) < 0.01
    assert abs(the_plan.rooms / the_plan.population - 327_000 / 627_000) < 0.01


def test_incident_outcomes_are_close_to_the_articles(county):
    preset = county["preset"]
    old = AS_OF - dt.timedelta(days=120)
    closed, total = rows("SELECT count(*) FILTER (WHERE status = 'closed'), count(*) FROM layers_incident "
                         "WHERE reported_at < %s", [old])[0]
    assert abs(closed / total - preset.closure_rate) < 0.012
    open_now = value("SELECT count(*) FROM layers_incident WHERE status <> 'closed'")
    overdue = value("SELECT count(*) FROM layers_incident WHERE (status <> 'closed' AND due_at < %s) "
                    "OR closed_at > due_at", [AS_OF])
    assert open_now > 0 and overdue > 0
    on_time = value("SELECT avg((closed_at <= due_at)::int) FROM layers_incident WHERE status = 'closed'")
    assert 0.8 < on_time < 0.97
    # Open matters are mostly recent ones: the open share of the last week is many times the old one.
    recent_open = value("SELECT avg((status <> 'closed')::int) FROM layers_incident WHERE reported_at > %s",
                        [AS_OF - dt.timedelta(days=7)])
    assert recent_open > 5 * (1 - closed / total)
    assert value("SELECT max(reported_at) FROM layers_incident") < AS_OF
    assert value("SELECT min(reported_at) FROM layers_incident") >= AS_OF - dt.timedelta(days=731)
    classes = {r[0] for r in rows("SELECT DISTINCT category FROM layers_incident")}
    assert classes == {"dispute", "petition", "consultation", "safety_hazard", "livelihood", "other"}
    assert len(rows("SELECT DISTINCT source FROM layers_incident")) == 7
    assert {r[0] for r in rows("SELECT DISTINCT severity FROM layers_incident")} == set(SEVERITIES)


def test_due_times_follow_the_time_limits(county):
    """The demo's due times are the live table's (as intake and the accept step set them): general 1 day,
    larger 7, major 30; petitions accepted within 15 days and due 60 days after acceptance (or after the
    acceptance limit while not accepted); one extension adds exactly the table's days, 30 for petitions."""
    limits = {(t.category, t.severity): t for t in TimeLimit.objects.all()}
    assert limits[("petition", "general")].from_acceptance and limits[("petition", "general")].handle_days == 60
    found = rows("SELECT category, severity, extract(epoch FROM accept_due_at - reported_at) / 86400, "
                 "extract(epoch FROM due_at - CASE WHEN t.from_acceptance THEN coalesce(accepted_at, accept_due_at) "
                 "ELSE reported_at END) / 86400, extended_at IS NOT NULL, "
                 "EXISTS (SELECT 1 FROM layers_incidentevent e WHERE e.incident_id = i.id AND e.action = 'extend') "
                 "FROM layers_incident i JOIN layers_timelimit t USING (category, severity)")
    assert {r[0] for r in found} >= {"petition", "dispute"} and any(r[5] for r in found)
    for category, severity, accept, days, extended_at, extended in found:
        limit = limits[(category, severity)]
        assert extended_at == extended
        assert accept == pytest.approx(limit.accept_days)
        assert days == pytest.approx(limit.handle_days + (limit.extend_days if extended else 0))


def test_every_incident_has_its_event_log(county):
    assert value("SELECT count(*) FROM layers_incident i WHERE NOT EXISTS (SELECT 1 FROM layers_incidentevent e "
                 "WHERE e.incident_id = i.id AND e.action = 'report' AND e.at = i.reported_at)") == 0
    assert value("SELECT count(*) FROM layers_incident i WHERE status = 'closed' AND NOT EXISTS (SELECT 1 FROM "
                 "layers_incidentevent e WHERE e.incident_id = i.id AND e.action = 'close' "
                 "AND e.at = i.closed_at)") == 0
    # Steps come in loop order (ids follow the steps) and time never runs backwards along them.
    assert value("SELECT count(*) FROM (SELECT at < lag(at) OVER (PARTITION BY incident_id ORDER BY id) AS back "
                 "FROM layers_incidentevent) s WHERE back") == 0
    # The log's last transition lands on the incident's status.
    assert value("SELECT count(*) FROM layers_incident i JOIN LATERAL (SELECT to_status FROM layers_incidentevent e "
                 "WHERE e.incident_id = i.id ORDER BY e.at DESC, e.id DESC LIMIT 1) last ON true "
                 "WHERE last.to_status <> i.status") == 0
    assert value("SELECT count(*) FROM layers_incidentevent e JOIN layers_incident i ON i.id = e.incident_id "
                 "WHERE e.at < i.reported_at OR e.at > %s", [AS_OF]) == 0


def test_boundary_history_and_lookup_parts_exist_for_every_area(county):
    assert value("SELECT count(*) FROM grids_area a WHERE (SELECT count(*) FROM grids_boundaryversion v "
                 "WHERE v.area_code = a.code AND v.valid_to IS NULL AND v.valid_from = a.valid_from "
                 "AND ST_Equals(v.boundary, a.boundary)) <> 1") == 0
    assert value("SELECT count(DISTINCT area_code) FROM grids_areapart") == value("SELECT count(*) FROM grids_area")


def test_places_of_each_kind(county):
    kinds = dict(rows("SELECT kind, count(*) FROM layers_place GROUP BY kind"))
    the_plan = county["plan"]
    assert kinds["mediation_room"] == the_plan.townships + the_plan.communities + the_plan.villages
    assert kinds["service_station"] == the_plan.townships + the_plan.communities + the_plan.villages
    assert kinds["police"] == the_plan.townships
    assert kinds.get("school", 0) == value("SELECT count(*) FROM grids_area WHERE kind = 'school'")
    # A school place stands in its school's dedicated grid.
    assert value("SELECT count(*) FROM layers_place p WHERE kind = 'school' AND NOT EXISTS (SELECT 1 FROM "
                 "grids_area d WHERE d.kind = 'school' AND ST_Within(p.location, d.boundary))") == 0


def test_desk_rows_follow_the_articles(county):
    """Departments 玉门 824/53,609 with 796 closed, listed disputes at 陇西's 35 of 2,861, mediation
    success at the scenario's rate, every escalation with its level, large risks supervised."""
    from fixtures import desk
    total = value("SELECT count(*) FROM layers_incident")
    assert value("SELECT count(*) FROM layers_department WHERE kind = 'justice'") >= 2
    leads, closed = rows("SELECT count(*), count(*) FILTER (WHERE i.closed_at IS NOT NULL) FROM layers_dispatch d "
                         "JOIN layers_incident i ON i.id = d.incident_id WHERE d.role = 'lead'")[0]
    assert leads == round(desk.DEPARTMENT_SHARE * total)
    assert abs(closed - round(leads * desk.DEPARTMENT_CLOSED)) <= 1
    assert value("SELECT count(*) FROM layers_dispatch WHERE department_code NOT IN "
                 "(SELECT code FROM layers_department)") == 0
    disputes = value("SELECT count(*) FROM layers_incident WHERE category = 'dispute'")
    assert value("SELECT count(*) FROM layers_supervision WHERE kind = 'listed'") == \
        round(desk.LISTED_PER_DISPUTE * disputes)
    assert value("SELECT count(*) FROM layers_incident i WHERE risk_level = 'large' AND NOT EXISTS "
                 "(SELECT 1 FROM layers_supervision s WHERE s.incident_id = i.id)") == 0
    assert value("SELECT count(*) FROM layers_incidentevent WHERE action = 'escalate'") == \
        value("SELECT count(*) FROM layers_escalation")
    referred, succeeded = rows("SELECT count(*), count(*) FILTER (WHERE outcome = 'agreement') "
                               "FROM layers_mediation")[0]
    assert referred > 0.3 * disputes
    assert abs(succeeded / referred - desk.SUCCESS[county["id"]]) < 0.07
    assert value("SELECT count(*) FROM layers_mediation m JOIN layers_incident i ON i.id = m.incident_id "
                 "WHERE i.category <> 'dispute'") == 0


def test_key_persons_are_followed_up_mostly_on_cadence(county):
    """Follow-ups from each tag's start to the load's moment, by the tag's worker, most key persons on
    cadence at the end and some overdue (people_key_followups, the figure every reader shows)."""
    tags, follow_ups = value("SELECT count(*) FROM people_keytag"), value("SELECT count(*) FROM people_followup")
    assert tags > 0 and follow_ups > 5 * tags
    assert value("SELECT count(*) FROM people_followup f JOIN people_keytag k ON k.id = f.tag_id "
                 "WHERE f.at > %s OR f.at::date < k.since OR f.worker_id IS DISTINCT FROM k.worker_id "
                 "OR f.note NOT LIKE '%%（演示）'", [AS_OF]) == 0
    open_, overdue = rows("SELECT sum(key_persons), sum(overdue) FROM people_key_followups('', %s, NULL)", [AS_OF])[0]
    assert open_ == tags
    assert 0.01 < overdue / open_ < 0.15, (overdue, open_)
    # The loader fills each tag's kept due day and grid once (its triggers are off during the load): now's
    # figures read them, so they must equal what the rows say.
    assert value("""SELECT count(*) FROM people_keytag k
                    WHERE k.due_on IS DISTINCT FROM people_followup_due(
                              (SELECT max(f.at) FROM people_followup f WHERE f.tag_id = k.id), k.since, k.cadence_days)
                       OR k.grid_code IS DISTINCT FROM people_keytag_grid(k.person_id)
                       OR k.grid_code IS NULL""") == 0


def test_a_season_of_patrols_walks_the_workers_own_grids_along_their_buildings(county):
    """Issue 19: tracks in the walker's own grid, every vertex in front of one of its buildings (not random
    lines), the season before --as-of; visits and checks at 玉门's rates; the rollup equal to a recount."""
    from fixtures import field as demo_field

    assert value("SELECT count(*) FROM field_track") > 0
    assert value("""SELECT count(*) FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id
                    WHERE NOT EXISTS (SELECT 1 FROM grids_assignment a
                                      WHERE a.worker_id = t.worker_id AND a.area_code = p.grid_code)""") == 0
    assert value("""SELECT count(*) FROM (SELECT p.grid_code, (ST_DumpPoints(p.path)).geom AS g
                                         FROM field_trackpiece p) v
                    WHERE NOT EXISTS (SELECT 1 FROM layers_building b WHERE b.grid_code = v.grid_code
                                      AND ST_DWithin(b.location::geography, v.g::geography, 20))""") == 0
    first = AS_OF - dt.timedelta(days=demo_field.SEASON_DAYS + 1)
    assert value("SELECT count(*) FROM field_track WHERE started_at < %s OR ended_at > %s", [first, AS_OF]) == 0
    assert value("SELECT count(*) FROM field_visit WHERE visited_at < %s OR visited_at > %s", [first, AS_OF]) == 0
    walkers = value("SELECT count(DISTINCT a.area_code) FROM grids_assignment a JOIN grids_area g "
                    "ON g.code = a.area_code AND g.level = 4 WHERE a.role IN ('full_time', 'chief')")
    season = demo_field.SEASON_DAYS / 365
    households = value("SELECT count(*) FROM field_visit WHERE task = 'household'")
    expected = demo_field.YUMEN_HOUSEHOLD_VISITS / demo_field.YUMEN_WORKERS * walkers * season
    assert 0.7 * expected < households < 1.3 * expected
    checks = value("SELECT count(*) FROM field_visit WHERE place_id IS NOT NULL")
    expected = demo_field.YUMEN_KEY_PLACE_CHECKS / demo_field.YUMEN_WORKERS * walkers * season
    assert abs(checks - expected) <= 1 or value("SELECT count(*) FROM layers_place p JOIN field_checkcadence c "
                                                "ON c.kind = p.kind") == 0
    kept = rows("SELECT grid_code, day, worker_id, round(length_m::numeric, 3), pieces FROM field_coverageday "
                "ORDER BY 1, 2, 3")
    passes = value("SELECT count(*) FROM field_buildingpass")
    with connection.cursor() as cur:
        cur.execute("SELECT field_coverage_rebuild()")
    assert rows("SELECT grid_code, day, worker_id, round(length_m::numeric, 3), pieces FROM field_coverageday "
                "ORDER BY 1, 2, 3") == kept
    assert value("SELECT count(*) FROM field_buildingpass") == passes > 0
