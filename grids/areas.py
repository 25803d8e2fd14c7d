"""Areas as the API serves them: one area with parent, children, boundary and counts; filtered lists.

Counts come from the placed-table registry (grids/placed.py): grids/ counts the buildings and
incidents of an area without importing the app that owns them. A basic grid's (and any larger
area's) things are found by the code prefix on their grid column, which needs no geometry; a
dedicated grid's by its own column where the table has one, else by its boundary.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from psycopg import sql as pgsql

from geo.errors import InvalidInput
from geo.scope import county_sql
from grids import placed
from grids.codes import Level
from grids.models import Area, Assignment, get_area

MAX_LIST = 5000
MAX_OFFSET = 2**31 - 1


def ref(area: Area) -> dict[str, Any]:
    """The short form of an area, in lists and as parent or child."""
    return {"code": area.code, "name": area.name, "level": area.level, "level_name": LEVEL_KEYS[area.level],
            "kind": area.kind, "valid_from": str(area.valid_from),
            "valid_to": str(area.valid_to) if area.valid_to else None}


LEVEL_KEYS = {Level.PROVINCE: "province", Level.CITY: "city", Level.COUNTY: "county", Level.TOWNSHIP: "township",
              Level.VILLAGE: "village", Level.GRID: "grid", Level.DEDICATED: "dedicated"}


def counts(area: Area, on: dt.date | None = None) -> dict[str, int]:
    """Buildings, rooms, open incidents, places and workers of an area (one query per table)."""
    result: dict[str, int] = {}
    connection.ensure_connection()
    dedicated = area.level == Level.DEDICATED
    for table in placed.placed_tables():
        where = _where(table, dedicated, area.code)
        selection = pgsql.SQL(table.selection or "true")
        statement = pgsql.SQL("SELECT count(*) FROM {table} t WHERE {where} AND ({selection})").format(
            table=pgsql.Identifier(table.table), where=where, selection=selection)
        with connection.cursor() as cursor:
            cursor.execute(statement.as_string(connection.connection), {"code": area.code})
            result[table.name] = cursor.fetchone()[0]
    for dependent in placed.dependent_tables():
        parent = next(t for t in placed.placed_tables() if t.name == dependent.parent)
        statement = pgsql.SQL(
            "SELECT count(*) FROM {child} c JOIN {table} t ON t.{key} = c.{fk} WHERE {where} AND ({selection})"
        ).format(child=pgsql.Identifier(dependent.table), table=pgsql.Identifier(parent.table),
                 key=pgsql.Identifier(parent.key_column), fk=pgsql.Identifier(dependent.fk_column),
                 where=_where(parent, dedicated, area.code), selection=pgsql.SQL(parent.selection or "true"))
        with connection.cursor() as cursor:
            cursor.execute(statement.as_string(connection.connection), {"code": area.code})
            result[dependent.name] = cursor.fetchone()[0]
    result["workers"] = (Assignment.objects.filter(area__code__startswith=area.code)
                         .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on or timezone.localdate()))
                         .values("worker").distinct().count())
    return result


def _where(table: placed.PlacedTable, dedicated: bool, code: str = "") -> pgsql.Composable:
    """Rows of an area: by code prefix on the grid column, or inside a dedicated grid; on a table
    partitioned by county, also the county the code implies (its literal, digits only: geo/scope.py)."""
    county = pgsql.SQL("")
    if table.county_column:
        county = pgsql.SQL(county_sql(f"t.{table.county_column}", code))  # a column named by code
    if not dedicated:
        # Composed LIKE keeps the prefix match on the column's varchar_pattern_ops index.
        return pgsql.SQL("t.{grid} LIKE %(code)s || '%%'{county}").format(
            grid=pgsql.Identifier(table.grid_column), county=county)
    if table.dedicated_column:
        return pgsql.SQL("t.{col} = %(code)s{county}").format(col=pgsql.Identifier(table.dedicated_column),
                                                              county=county)
    return pgsql.SQL("ST_Intersects(t.{loc}, (SELECT boundary FROM grids_area WHERE code = %(code)s))").format(
        loc=pgsql.Identifier(table.location_column))


# Sections apps above grids add to an area's detail (people's counts, issue 18): name → f(access, area),
# given in their AppConfig.ready() (grids may not import them).
DETAIL_SECTIONS: dict[str, Any] = {}
# Those a department account gets as None, uncalled (see layers.figures.stats.CLOSED_TO_DEPARTMENTS).
DETAIL_CLOSED_TO_DEPARTMENTS: set[str] = set()


def provide_detail_section(name: str, section, *, departments: bool = True) -> None:
    DETAIL_SECTIONS[name] = section
    if not departments:
        DETAIL_CLOSED_TO_DEPARTMENTS.add(name)


def detail_sections(access, code: str) -> dict[str, Any]:
    """The sections other apps add to the area detail of `code`, as `access` may see them."""
    return {name: None if access.narrowed and name in DETAIL_CLOSED_TO_DEPARTMENTS else section(access, code)
            for name, section in DETAIL_SECTIONS.items()}


def detail(code: str, scope: str | None, at: dt.date | None = None) -> dict[str, Any]:
    """One area: parent, children (current, or on `at`), boundary as GeoJSON, counts."""
    area = get_area(code, scope)
    body = ref(area)
    parent = area.parent if area.parent_id else None
    if parent is None:
        body["parent"] = None
    else:
        # Even above the caller's scope: the parent of an area one may see is no secret.
        body["parent"] = ref(parent)
    children = Area.objects.current(at).filter(parent=area).defer("boundary").order_by("level", "code")
    body["children"] = [ref(c) for c in children]
    boundary = area.boundary_on(at) if at else area.boundary
    body["at"] = str(at) if at else None
    body["boundary"] = json.loads(boundary.json) if boundary is not None else None
    body["illustrative"] = area.illustrative
    body["counts"] = counts(area)
    return body


def listing(scope: str | None, *, level: Level | None, parent: str | None, at: dt.date | None,
            limit: int, offset: int) -> dict[str, Any]:
    """Areas in the caller's scope, current (or on `at`), filtered by level and parent; no geometry."""
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be 1..{MAX_LIST}", field="limit")
    if not 0 <= offset <= MAX_OFFSET:  # a larger one overflows PostgreSQL's OFFSET, and pages nothing anyway
        raise InvalidInput(f"offset must be 0..{MAX_OFFSET}", field="offset")
    areas = Area.objects.within(scope).current(at).defer("boundary").order_by("code")
    if level is not None:
        areas = areas.filter(level=level)
    if parent:
        areas = areas.filter(parent_id=parent)
    total = areas.count()
    return {"count": total, "limit": limit, "offset": offset,
            "results": [ref(a) for a in areas[offset:offset + limit]]}
