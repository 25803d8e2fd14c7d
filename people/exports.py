"""The people counts as an export layer (`/api/export/people.<format>`, `export_layer people`) and as OGC
API - Features collections (people per township, village, basic grid): counts only, never a person.

The rows are the rollup's (people_unitcount, the counts /api/stats, the area detail, the tiles and the
dashboards read) pivoted per area, with the same two ratios as people/counts.py: residents per km² of the
area's stored size (grids_area.area_km2) and per grid worker currently assigned inside the area. Only
areas inside the caller's scope are listed (a township row would count people outside a grid-scoped
caller's grid). Key-group counts go through counts.shown_sql(): "< 5" for 1..4 unless the export is a
personal one (`personal=1`, only for users with the personal-data right, and audited as such); OGC
collections are never personal, so there every caller reads "< 5".

layers may not import people: people hands the layer and its collections over in its ready().
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from layers.exports.registry import FLOAT, INT, TEXT, Column, ExportLayer
from layers.figures.counts import LEVEL_LENGTH
from layers.ogc.collections import Collection
from people.counts import COUNTY, KEY_MEASURES, MEASURES, shown_sql
from people.models import KeyGroup

if TYPE_CHECKING:
    from layers.exports.query import ExportQuery

SHP = {"enterprises": "enterprise", "rooms_empty": "rooms_empt", "rooms_owner": "rooms_ownr",
       "key_released": "k_released", "key_correction": "k_correct", "key_drug": "k_drug", "key_mental": "k_mental",
       "key_petition": "k_petition", "key_youth": "k_youth", "per_worker": "per_worker"}


def people_source(q: ExportQuery) -> tuple[str, dict]:
    """Areas of one level (default 4, basic grids) inside the scope, with their people counts."""
    level = q.level if q.level is not None else 4
    if level >= COUNTY:  # the rollup's own rows
        counted, rows = "u.area_code", "u.area_code IN (SELECT code FROM areas)"
    else:  # a city or a province: its counties' rows added up (counts.raw_counts)
        counted = "left(u.area_code, %(len)s)"
        rows = f"u.level = {COUNTY} AND left(u.area_code, %(len)s) IN (SELECT code FROM areas)"
    pivot = ",\n               ".join(
        f"coalesce(sum(u.n) FILTER (WHERE u.measure = '{m}'), 0)::int AS {m}" for m in (*MEASURES, *KEY_MEASURES))
    keys = ", ".join(f"{shown_sql(f'c.{m}', q.personal)} AS {m}" for m in KEY_MEASURES)
    sql = f"""
        WITH areas AS (
            SELECT a.code FROM grids_area a
            WHERE a.level = %(level)s AND a.valid_from <= %(x_today)s
                  AND (a.valid_to IS NULL OR a.valid_to > %(x_today)s){q.where("a.code", "a.boundary", "a.code")}
        ), counts AS (
            SELECT {counted} AS area_code, {pivot}
            FROM people_unitcount u WHERE {rows} GROUP BY 1
        ), workers AS (
            SELECT left(s.area_code, %(len)s) AS area_code, count(DISTINCT s.worker_id)::int AS workers
            FROM grids_assignment s
            WHERE s.valid_to IS NULL AND left(s.area_code, %(len)s) IN (SELECT code FROM areas)
            GROUP BY 1
        )
        SELECT a.code AS fid, a.code, a.name, a.level, coalesce(c.population, 0) AS population,
               coalesce(c.households, 0) AS households, coalesce(c.enterprises, 0) AS enterprises,
               coalesce(c.rooms_empty, 0) AS rooms_empty, coalesce(c.rooms_let, 0) AS rooms_let,
               coalesce(c.rooms_owner, 0) AS rooms_owner, {keys},
               round(a.area_km2::numeric, 3)::float8 AS area_km2,
               round((coalesce(c.population, 0) / nullif(a.area_km2, 0))::numeric, 2)::float8 AS per_km2,
               coalesce(w.workers, 0) AS workers,
               round((coalesce(c.population, 0)::numeric / nullif(w.workers, 0)), 1)::float8 AS per_worker,
               a.boundary AS geom
        FROM areas x JOIN grids_area a ON a.code = x.code
             LEFT JOIN counts c ON c.area_code = a.code
             LEFT JOIN workers w ON w.area_code = a.code"""
    return sql, {"level": level, "len": LEVEL_LENGTH[level]}


COLUMNS = (
    Column("code", TEXT, "area code"),
    Column("name", TEXT),
    Column("level", INT, "-1 province, 0 city, 1 county, 2 township/street, 3 village/community, 4 basic grid"),
    Column("population", INT, "people with a current room in the area"),
    Column("households", INT, "households with a room in the area"),
    Column("enterprises", INT, "enterprises and organisations on the area's buildings", shp=SHP["enterprises"]),
    Column("rooms_empty", INT, "rooms without a current resident", shp=SHP["rooms_empty"]),
    Column("rooms_let", INT, "rooms with residents, none of whom owns it"),
    Column("rooms_owner", INT, "rooms a resident owns", shp=SHP["rooms_owner"]),
    *(Column(m, TEXT, f"key persons: {KeyGroup(m.removeprefix('key_')).label}; '< 5' for 1-4 unless "
                      "personal=1", shp=SHP[m]) for m in KEY_MEASURES),
    Column("area_km2", FLOAT, "the area's size in km² (sphere)"),
    Column("per_km2", FLOAT, "residents per km² (the map's choropleth)"),
    Column("workers", INT, "grid workers currently assigned inside the area"),
    Column("per_worker", FLOAT, "residents per grid worker"),
)

LAYER = ExportLayer(
    "people", "People counts",
    "Population, households, enterprises, rooms empty/let/owner-occupied and key persons by group per area, "
    "with residents per km² and per grid worker, as on the map's people layer: counts only, no person; a "
    "key group's count of 1-4 reads '< 5' unless personal=1; `level` -1 to 4 (default 4, basic grids; a city's "
    "and a province's counts are its counties' added up)",
    "MultiPolygon", COLUMNS, people_source, levels=(-1, 0, 1, 2, 3, 4), default_level=4)

DESCRIPTION = ("population, households, enterprises, rooms and key persons by group (1-4 read '< 5') per {}, "
               "with residents per km² and per grid worker; counts only")
COLLECTIONS = (
    Collection("people_provinces", "People per province 民情（省）", "people", -1, DESCRIPTION.format("province")),
    Collection("people_cities", "People per city 民情（市）", "people", 0, DESCRIPTION.format("city")),
    Collection("people_counties", "People per county 民情（县）", "people", 1, DESCRIPTION.format("county")),
    Collection("people_townships", "People per township 民情（乡镇）", "people", 2, DESCRIPTION.format("township")),
    Collection("people_villages", "People per village/community 民情（村/社区）", "people", 3,
               DESCRIPTION.format("village/community")),
    Collection("people", "People per basic grid 民情（网格）", "people", 4, DESCRIPTION.format("basic grid")),
)
