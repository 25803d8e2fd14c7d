"""The exportable layers: a declarative registry of columns, and the SQL that selects each layer's rows.

Raw SQL because an export is rendered by PostGIS row by row (GeoJSON text, WKT, WKB) and streamed out
through COPY or a server-side cursor; the ORM can express neither. Each layer's `source` returns a
SELECT with a `fid` column (the feature id), one column per entry of `columns` (named as in the files),
and `geom` in EPSG:4326; render.py wraps it for each format and drops the personal columns unless the
caller may see them. Every filter value is a bound parameter; column names come from this registry only.

Workload is the one layer that is computed, not read: it is tiles.registry' definition (counts_cte,
workers_cte, WORKLOAD_FIELDS) at the level asked for, so a workload file and a workload tile give the
same numbers for the same area and period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from layers.figures.counts import LEVEL_LENGTH, Selection, counts_sql, flag_sql
from layers.figures.workload import WORKLOAD_FIELDS, scope_or_above, workers_cte

if TYPE_CHECKING:
    from layers.exports.query import ExportQuery

# Column kinds, and how each is typed in files (render.py, writers.py).
TEXT, INT, FLOAT, BOOL, DATETIME, DATE, JSON = "text", "int", "float", "bool", "datetime", "date", "json"


@dataclass(frozen=True)
class Column:
    """One attribute of a layer. `shp` is its name in a Shapefile when `name` is over 10 characters."""

    name: str
    kind: str
    description: str = ""
    personal: bool = False
    shp: str | None = None

    @property
    def shp_name(self) -> str:
        return self.shp or self.name


@dataclass(frozen=True)
class Option:
    """A parameter only one layer takes (the safety index's `period`, the three-zero units' `year`): its
    name, what it means and the pattern a value must match (the OpenAPI documents say both); the layer's
    `check_options` refuses a bad value with a 400 naming it, before anything is read or written."""

    name: str
    description: str
    pattern: str


@dataclass(frozen=True)
class ExportLayer:
    """An exportable layer: what it holds, which filters it takes, and its rows as SQL."""

    id: str
    title: str
    description: str
    geometry_type: str  # "Point" or "MultiPolygon", as OGR names it
    columns: tuple[Column, ...]
    source: Callable[[ExportQuery], tuple[str, dict]] = field(repr=False)
    fid_kind: str = TEXT
    incident_filters: bool = False  # takes class, status, severity, source, since and until
    levels: tuple[int, ...] = ()  # takes `level`, one of these
    default_level: int | None = None
    temporal: str | None = None  # the column `datetime` (OGC API) filters on
    options: tuple[Option, ...] = ()  # the layer's own parameters (ExportQuery.options)
    check_options: Callable[[dict[str, str]], None] | None = field(default=None, repr=False)

    @property
    def polygons(self) -> bool:
        return self.geometry_type == "MultiPolygon"

    def visible_columns(self, personal: bool) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if personal or not c.personal)


# -------------------------------------------------------------------------------------------- areas

def grids_source(q: ExportQuery) -> tuple[str, dict]:
    level = " AND a.level = %(x_level)s" if q.level is not None else ""
    return f"""
        SELECT a.code AS fid, a.code, a.name, a.level, a.kind, a.parent_code AS parent, a.valid_from,
               a.valid_to, a.illustrative, a.boundary AS geom
        FROM grids_area a
        WHERE a.valid_from <= %(x_today)s AND (a.valid_to IS NULL OR a.valid_to > %(x_today)s){level}
              {q.where("a.code", "a.boundary", "a.code")}""", {}


GRID_COLUMNS = (
    Column("code", TEXT, "area code (2, 4, 6, 9, 12, 15 or 16 digits)"),
    Column("name", TEXT),
    Column("level", INT, "-1 province, 0 city, 1 county, 2 township/street, 3 village/community, 4 basic grid, "
                         "5 dedicated grid"),
    Column("kind", TEXT, "street/town/community/village/urban/rural/school..."),
    Column("parent", TEXT, "code of the parent area"),
    Column("valid_from", DATE, "first day of the area's current period"),
    Column("valid_to", DATE, "day the area ended (empty while it exists)"),
    Column("illustrative", BOOL, "synthetic boundary (demo data), not an official one", shp="illustr"),
)


# -------------------------------------------------------------------------------- buildings, rooms

def buildings_source(q: ExportQuery) -> tuple[str, dict]:
    return f"""
        SELECT b.address_code AS fid, b.address_code, b.name, b.street, b.door_plate, b.use, b.floors,
               b.grid_code AS grid, b.footprint IS NOT NULL AS has_footprint, b.location AS geom
        FROM layers_building b
        WHERE true{q.where("b.grid_code", "b.location", "b.address_code")}""", {}


BUILDING_COLUMNS = (
    Column("address_code", TEXT, "unified address code: village code + 5-digit building number", shp="addr_code"),
    Column("name", TEXT),
    Column("street", TEXT, "street/road or compound 街路巷/小区"),
    Column("door_plate", TEXT, "门楼牌"),
    Column("use", TEXT, "residential, commercial, mixed, public, industrial, rural_house, other"),
    Column("floors", INT),
    Column("grid", TEXT, "code of the basic grid the building lies in"),
    Column("has_footprint", BOOL, "a footprint polygon is recorded (the export carries the address point)",
           shp="footprint"),
)


def rooms_source(q: ExportQuery) -> tuple[str, dict]:
    return f"""
        SELECT r.address_code AS fid, r.address_code, b.address_code AS building, r.unit, r.floor, r.number,
               r.households, r.residents, b.grid_code AS grid, b.location AS geom
        FROM layers_room r JOIN layers_building b ON b.id = r.building_id
        WHERE true{q.where("b.grid_code", "b.location", "r.address_code")}""", {}


ROOM_COLUMNS = (
    Column("address_code", TEXT, "room address: building code + unit (2) + floor (3) + room (3)", shp="addr_code"),
    Column("building", TEXT, "address code of the building"),
    Column("unit", INT),
    Column("floor", INT),
    Column("number", TEXT),
    Column("households", INT),
    Column("residents", INT),
    Column("grid", TEXT, "code of the basic grid the building lies in"),
)


# ------------------------------------------------------------------------------------------- places

def places_source(q: ExportQuery) -> tuple[str, dict]:
    return f"""
        SELECT p.code AS fid, p.code, p.kind, p.name, p.grid_code AS grid, p.attributes, p.location AS geom
        FROM layers_place p
        WHERE true{q.where("p.grid_code", "p.location", "p.code")}""", {}


PLACE_COLUMNS = (
    Column("code", TEXT, "device or register number"),
    Column("kind", TEXT, "camera, school, hospital, market, mediation_room, service_station, police, other"),
    Column("name", TEXT),
    Column("grid", TEXT, "code of the basic grid the place lies in"),
    Column("attributes", JSON, "free-form attributes (JSON text)"),
)


# ---------------------------------------------------------------------------------------- incidents

def incidents_source(q: ExportQuery) -> tuple[str, dict]:
    # "overdue" is the tiles' definition (still open past its due time, or closed after it); no due time: false.
    return f"""
        SELECT i.id AS fid, i.id, i.category AS class, i.subcategory, i.severity, i.source, i.risk_level,
               i.status, coalesce((i.status = ANY(%(open)s) AND i.due_at < now())
                                  OR coalesce(i.closed_at > i.due_at, false), false) AS overdue,
               coalesce({flag_sql("accept_overdue", "i").replace("%(f_at)s", "now()")}, false) AS accept_overdue,
               coalesce({flag_sql("due_soon", "i").replace("%(f_at)s", "now()")}, false) AS due_soon,
               i.grid_code AS grid, i.dedicated_code AS dedicated, b.address_code AS building, i.department,
               w.employee_no AS assignee, i.reported_at, i.accepted_at, i.dispatched_at, i.started_at,
               i.resolved_at, i.verified_at, i.closed_at, i.accept_due_at, i.due_at, i.satisfaction, i.description,
               i.reporter_name, i.reporter_phone, i.parties, dl.department_code AS lead_department,
               s.kind AS supervision, s.owner AS supervision_owner, s.deadline AS supervision_deadline,
               (CASE e.rank WHEN 1 THEN 'village' WHEN 2 THEN 'township' WHEN 3 THEN 'county' END) AS escalated_to,
               m.route AS mediation_route, m.outcome AS mediation_outcome, i.location AS geom
        FROM layers_incident i
             LEFT JOIN layers_building b ON b.id = i.building_id
             LEFT JOIN grids_worker w ON w.id = i.assignee_id
             -- The desk's small tables (layers/desk/models.py), hashed once each.
             LEFT JOIN layers_dispatch dl ON dl.incident_id = i.id AND dl.role = 'lead' AND dl.ended_at IS NULL
             LEFT JOIN layers_supervision s ON s.incident_id = i.id
             LEFT JOIN (SELECT incident_id, max(desk_level_rank(level)) AS rank FROM layers_escalation
                        GROUP BY 1) e ON e.incident_id = i.id
             LEFT JOIN layers_mediation m ON m.incident_id = i.id
        WHERE true{q.where("i.grid_code", "i.location", "i.id", "i.county_code")}{q.incident_where("i")}""", {}


INCIDENT_COLUMNS = (
    Column("id", INT, "incident number"),
    Column("class", TEXT, "dispute, petition, consultation, safety_hazard, livelihood, other"),
    Column("subcategory", TEXT, shp="subclass"),
    Column("severity", TEXT, "general, larger, major"),
    Column("source", TEXT, "upper_assignment, town_report, department_transfer, grid_discovery, walk_in, "
                           "hotline_12345, public_report"),
    Column("risk_level", TEXT, "small, medium, large"),
    Column("status", TEXT, "reported, accepted, dispatched, in_progress, resolved, verified, closed, returned, "
                           "escalated"),
    Column("overdue", BOOL, "open past its due time, or closed after it"),
    Column("accept_overdue", BOOL, "open, not accepted, past its acceptance limit, now (受理超期)", shp="acc_overdu"),
    Column("due_soon", BOOL, "open and due within the next 24 hours, now (临期)"),
    Column("grid", TEXT, "code of the basic grid"),
    Column("dedicated", TEXT, "code of the dedicated grid, if any"),
    Column("building", TEXT, "address code of the building, if any"),
    Column("department", TEXT, "department it was transferred to"),
    Column("assignee", TEXT, "employee number of the grid worker handling it"),
    Column("reported_at", DATETIME, shp="reported"),
    Column("accepted_at", DATETIME, shp="accepted"),
    Column("dispatched_at", DATETIME, shp="dispatched"),
    Column("started_at", DATETIME, shp="started"),
    Column("resolved_at", DATETIME, shp="resolved"),
    Column("verified_at", DATETIME, shp="verified"),
    Column("closed_at", DATETIME, shp="closed"),
    Column("accept_due_at", DATETIME, "acceptance time limit", shp="accept_due"),
    Column("due_at", DATETIME, shp="due"),
    Column("satisfaction", INT, "1-5, from the reporter", shp="satisfactn"),
    Column("description", TEXT, "free text (Shapefile keeps its first 254 bytes)", shp="descriptn"),
    Column("reporter_name", TEXT, "personal data", personal=True, shp="rep_name"),
    Column("reporter_phone", TEXT, "personal data", personal=True, shp="rep_phone"),
    Column("parties", TEXT, "people involved: personal data", personal=True),
    Column("lead_department", TEXT, "code of the department leading it now (an open lead dispatch)", shp="lead_dept"),
    Column("supervision", TEXT, "supervised (督办) or listed (挂牌督办); empty if neither", shp="supervisn"),
    Column("supervision_owner", TEXT, "the leader who owns a listed matter (包案领导)", shp="sup_owner"),
    Column("supervision_deadline", DATETIME, "the supervision deadline", shp="sup_due"),
    Column("escalated_to", TEXT, "the highest level it was escalated to: village, township, county", shp="escalated"),
    Column("mediation_route", TEXT, "people, administrative, judicial, industry, court_referred", shp="med_route"),
    Column("mediation_outcome", TEXT, "pending, agreement, partial, failed", shp="med_result"),
)


# ----------------------------------------------------------------------------------------- workload

def workload_source(q: ExportQuery) -> tuple[str, dict]:
    """Areas of one level with the tiles' workload figures for the period and filters asked for.

    As on the map, an area containing the caller's scope is listed (a grid-scoped user still gets
    their township's row at township level), counting only what lies inside the scope.
    """
    level = q.level if q.level is not None else 4
    prefix = q.prefix or None
    areas = f"""areas AS (
            SELECT a.code AS area_code FROM grids_area a
            WHERE a.level = %(level)s AND a.valid_from <= %(x_today)s
                  AND (a.valid_to IS NULL OR a.valid_to > %(x_today)s)
                  {scope_or_above("a.code", prefix)}{q.where(None, "a.boundary", "a.code")}
        )"""
    cte, params = counts_sql(Selection.of(q.filters, prefix), level, areas="areas")
    sql = f"""WITH {areas}, {cte},
        {workers_cte()}
        SELECT a.code AS fid, a.code, a.name, a.level, {WORKLOAD_FIELDS}, a.boundary AS geom
        FROM areas x JOIN grids_area a ON a.code = x.area_code
             LEFT JOIN counts c ON c.area_code = x.area_code
             LEFT JOIN workers w ON w.area_code = x.area_code"""
    return sql, {**params, "level": level, "len": LEVEL_LENGTH[level]}


WORKLOAD_COLUMNS = (
    Column("code", TEXT, "area code"),
    Column("name", TEXT),
    Column("level", INT, "1 county, 2 township/street, 3 village/community, 4 basic grid"),
    Column("intake", INT, "incidents reported in the period"),
    Column("open", INT, "of those, still open"),
    Column("overdue", INT, "of those, open past their due time now"),
    Column("closed", INT, "of those, closed"),
    Column("on_time", INT, "of those closed, closed by their due time"),
    Column("accept_overdue", INT, "of those, open, not accepted, past the acceptance limit now", shp="acc_overdu"),
    Column("due_soon", INT, "of those, open and due within the next 24 hours"),
    Column("workers", INT, "grid workers currently assigned inside the area"),
    Column("open_per_worker", FLOAT, "open incidents per worker", shp="open_per_w"),
)


REGISTRY: dict[str, ExportLayer] = {layer.id: layer for layer in [
    ExportLayer("grids", "Areas and grids",
                "The area tree: province (-1), city (0), county, townships/streets, villages/communities, basic "
                "and dedicated grids (current boundaries); `level` picks one level", "MultiPolygon", GRID_COLUMNS,
                grids_source, levels=(-1, 0, 1, 2, 3, 4, 5)),
    ExportLayer("buildings", "Buildings", "Buildings with their unified address code, as address points",
                "Point", BUILDING_COLUMNS, buildings_source),
    ExportLayer("rooms", "Room addresses", "Room (户室) addresses, at their building's address point",
                "Point", ROOM_COLUMNS, rooms_source),
    ExportLayer("places", "Places", "Cameras, schools, markets, mediation rooms, service stations",
                "Point", PLACE_COLUMNS, places_source),
    ExportLayer("incidents", "Incidents", "Reported matters and where they stand in the closed loop",
                "Point", INCIDENT_COLUMNS, incidents_source, fid_kind=INT, incident_filters=True,
                temporal="reported_at"),
    ExportLayer("workload", "Workload",
                "Intake, open, overdue, closed and on-time counts and workers per area for a period, as on "
                "the map's workload layer; `level` 1-4 (default 4, basic grids)", "MultiPolygon",
                WORKLOAD_COLUMNS, workload_source, incident_filters=True, levels=(1, 2, 3, 4), default_level=4),
]}


def provide(layer: ExportLayer) -> None:
    """Add another app's export layer (people hands over its counts, analysis its safety index and
    three-zero units, in their ready(): layers may not import them). It is then listed, exported, and
    served as OGC collections like the layers above."""
    if layer.id in REGISTRY and REGISTRY[layer.id] != layer:
        raise ValueError(f"export layer {layer.id!r} is provided twice")
    REGISTRY[layer.id] = layer
