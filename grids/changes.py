"""Boundary changes (redraw, split, merge) as one unit: checked, applied, things moved, reported.

A change is planned as a list of grids with their boundary before and after (after None: retired;
before None: created). `run()` then, in one transaction:

1. locks the village, so two planners cannot change the same village at once;
2. computes the coverage problems the change would create (gaps, overlaps, area outside the village,
   slivers), comparing with the boundaries as they are, so old problems are not blamed on it;
3. refuses with 409 when committing a change that would create a gap or an overlap;
4. writes the new boundaries (each old one is kept in BoundaryVersion with its end date), retires and
   creates grids, carries worker assignments over;
5. moves buildings, places and open incidents to their new grid with one UPDATE per table;
6. reports what changed, and writes the audit record (commit) or rolls everything back (preview).

A preview is therefore the commit itself, rolled back: the numbers a planner sees are the numbers
the commit produces, computed by the same code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.db import connection, transaction
from django.db.models import Q
from psycopg import sql as pgsql

from geo.access import Access, audit
from geo.errors import Conflict, Forbidden, InvalidCode, InvalidInput
from geo.models import AuditRecord
from grids import placed
from grids.codes import CODE_LENGTH, Level
from grids.coverage import DEFAULT_SLIVER_M2, GRID_DEG, NOISE_DEG, Problem, sql
from grids.models import Area, Assignment, BoundaryVersion

# Moved rows listed one by one in a report (all of them are counted).
MAX_LISTED = 200
BLOCKING = ("gap", "overlap", "outside")


@dataclass
class Change:
    """One grid in a planned change: its boundary before and after."""

    code: str
    role: str  # redrawn | neighbour | created | retired
    before: GEOSGeometry | None
    after: GEOSGeometry | None
    name: str = ""
    kind: str = ""


@dataclass
class Plan:
    operation: str  # redraw | split | merge
    target: str
    village: Area
    changes: list[Change]
    on: dt.date
    reason: str
    # Retired grid → the new grids its workers are carried over to.
    carry: dict[str, list[str]] = field(default_factory=dict)
    # What the operation adds to the report (gained/lost area, the resolution chosen...).
    extra: dict[str, Any] = field(default_factory=dict)
    # What to tell the planner when the change is refused for leaving a gap or an overlap.
    hint: str = ""


def ewkb(geom: GEOSGeometry | None) -> bytes | None:
    return None if geom is None else bytes(geom.ewkb)


def from_ewkb(value: bytes | memoryview | None) -> GEOSGeometry | None:
    # Django reads bytes as text (WKT/HEX); a memoryview is WKB.
    return None if value is None else GEOSGeometry(memoryview(value))


def geojson(geom: GEOSGeometry | None) -> dict | None:
    return None if geom is None else json.loads(geom.json)


def multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    return geom


def check_village_in_scope(village: Area, access: Access) -> None:
    """A change moves edges shared with sibling grids, so the planner's scope must hold the village."""
    if access.scope and not village.code.startswith(access.scope):
        raise Forbidden(f"{access.username} is limited to {access.scope}; changing a grid moves edges it shares "
                        f"with the other grids of {village.code} {village.name}, so it needs a scope that "
                        "includes the whole village")


def current_grid(area: Area, on: dt.date) -> Area:
    """`area` if it is a basic grid that exists on `on`; a message naming the problem otherwise."""
    if area.level != Level.GRID:
        raise InvalidInput(f"{area.code} is a {Level(area.level).label}; redraw, split and merge work on basic "
                           "grids (change a village's grids to change the village)", field="code")
    if area.valid_to is not None:
        raise Conflict(f"grid {area.code} was retired on {area.valid_to}; its code is never reused")
    if area.valid_from > on:
        raise InvalidInput(f"grid {area.code} only exists from {area.valid_from}; valid_from {on} is earlier",
                           field="valid_from")
    opened = (area.versions.filter(valid_to__isnull=True).order_by("-valid_from")
              .values_list("valid_from", flat=True).first())
    if opened and opened > on:
        raise InvalidInput(f"a new boundary for {area.code} cannot start on {on}, before the current one (valid "
                           f"from {opened})", field="valid_from")
    return area


def next_grid_codes(village: Area, count: int) -> list[str]:
    """The next `count` grid codes of the village, after every code it ever used (retired ones too).

    Codes are never reused: a retired grid keeps its row, so its code stays taken.
    """
    used = Area.objects.filter(parent=village, level=Level.GRID).values_list("code", flat=True)
    width = CODE_LENGTH[Level.GRID] - len(village.code)
    last = max((int(code[len(village.code):]) for code in used), default=0)
    if last + count > 899:
        raise Conflict(f"village {village.code} has used grid codes up to {last:03d}; only {899 - last} of the "
                       f"{count} new codes fit below 899")
    return [f"{village.code}{last + i:0{width}d}" for i in range(1, count + 1)]


def lock_village(village: Area) -> None:
    """Serialise changes within one village (and the allocation of its new codes)."""
    list(Area.objects.select_for_update().filter(code=village.code).values_list("code", flat=True))


def change_problems(plan: Plan, sliver_m2: float) -> list[Problem]:
    """The coverage problems the plan would create among the village's grids (one SQL statement)."""
    params = {
        "parent": plan.village.code, "level": int(Level.GRID),
        "codes": [c.code for c in plan.changes],
        "befores": [ewkb(c.before) for c in plan.changes],
        "afters": [ewkb(c.after) for c in plan.changes],
        "grid": GRID_DEG, "noise": NOISE_DEG, "sliver": sliver_m2, "today": plan.on,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql("change_problems"), params)
        return [Problem(kind=kind, of=of, parent=plan.village.code, codes=list(codes), area_m2=area_m2,
                        geometry=json.loads(gj))
                for kind, of, codes, area_m2, gj in cursor.fetchall()]


def areas_m2(geoms: list[GEOSGeometry | None]) -> list[float | None]:
    """Geodesic areas of several geometries in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Area(ST_GeomFromEWKB(g)::geography) FROM unnest(%s::bytea[]) WITH ORDINALITY u(g, n) "
            "ORDER BY n", [[ewkb(g) for g in geoms]])
        return [row[0] for row in cursor.fetchall()]


def affected_workers(plan: Plan) -> list[dict[str, Any]]:
    """Workers assigned to a grid whose area changes or which is retired, and what happens to them."""
    roles = {c.code: c.role for c in plan.changes if c.role != "created"}
    rows = (Assignment.objects.filter(area_id__in=list(roles))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=plan.on))
            .select_related("worker").order_by("area_id", "worker__employee_no"))
    workers = []
    for assignment in rows:
        carried: list[str] = []
        if roles[assignment.area_id] == "retired":
            carried = plan.carry.get(assignment.area_id, [])
            change = (f"grid retired; assignment carried over to {', '.join(carried)}" if carried
                      else "grid retired; assignment ended")
        else:
            change = "stays; the grid's boundary changes"
        workers.append({"employee_no": assignment.worker.employee_no, "name": assignment.worker.name,
                        "role": assignment.role, "grid": assignment.area_id, "change": change,
                        "carried_to": carried})
    return workers


def apply(plan: Plan, author: str) -> None:
    """Write the plan: retire, create, redraw (keeping every old boundary), carry assignments over."""
    why = f"{plan.operation}: {plan.reason}" if plan.reason else plan.operation
    why = why[:200]
    for change in plan.changes:
        if change.role != "retired":
            continue
        opened = (BoundaryVersion.objects.filter(area_id=change.code, valid_to__isnull=True)
                  .order_by("-valid_from").values_list("valid_from", flat=True).first())
        if opened and opened > plan.on:
            raise InvalidCode(f"grid {change.code} cannot be retired on {plan.on}, before its current boundary "
                              f"(valid from {opened})", field="valid_from")
        Area.objects.filter(code=change.code).update(valid_to=plan.on)
        BoundaryVersion.objects.filter(area_id=change.code, valid_to__isnull=True).update(valid_to=plan.on)
    for change in plan.changes:
        if change.role == "created":
            area = Area(code=change.code, name=change.name, level=Level.GRID, kind=change.kind,
                        parent=plan.village, boundary=change.after, valid_from=plan.on,
                        illustrative=plan.extra.get("illustrative", False))
            area.save()
            BoundaryVersion.objects.filter(area=area).update(reason=why, author=author)
        elif change.role in ("redrawn", "neighbour"):
            area = Area.objects.get(code=change.code)
            area.replace_boundary(change.after, on=plan.on, reason=why, author=author)
    for retired, new_codes in plan.carry.items():
        current = Assignment.objects.filter(area_id=retired).filter(Q(valid_to__isnull=True) |
                                                                     Q(valid_to__gt=plan.on))
        for assignment in list(current):
            for code in new_codes:
                if not Assignment.objects.filter(worker=assignment.worker, area_id=code,
                                                 valid_to__isnull=True).exists():
                    Assignment.objects.create(worker=assignment.worker, area_id=code, role=assignment.role,
                                              valid_from=plan.on)
        current.update(valid_to=plan.on)


def region_of(plan: Plan) -> Polygon:
    """The envelope of every boundary before and after: nothing outside it can change grid."""
    extents = [g.extent for c in plan.changes for g in (c.before, c.after) if g is not None]
    pad = NOISE_DEG
    return Polygon.from_bbox((min(e[0] for e in extents) - pad, min(e[1] for e in extents) - pad,
                              max(e[2] for e in extents) + pad, max(e[3] for e in extents) + pad))


def reassign(plan: Plan) -> dict[str, Any]:
    """Move what lies in the changed grids to its new grid; see move_placed."""
    region = region_of(plan)
    region.srid = 4326
    return move_placed(region, [c.code for c in plan.changes if c.role == "retired"])


def move_placed(region: GEOSGeometry, retired: list[str], level: int = Level.GRID) -> dict[str, Any]:
    """Re-place the rows of every placed table inside `region` (or in a retired area); report the moves.

    One UPDATE per table. Level 4 recomputes the basic-grid column, level 5 the dedicated-grid column
    of the tables that have one (after an import of dedicated grids).
    """
    template = sql("reassign")
    moves: dict[str, Any] = {}
    moved_keys: dict[str, dict[Any, tuple[str | None, str | None]]] = {}
    connection.ensure_connection()
    for table in placed.placed_tables():
        column = table.grid_column if level == Level.GRID else table.dedicated_column
        if column is None:
            continue
        statement = pgsql.SQL(template).format(
            table=pgsql.Identifier(table.table), key=pgsql.Identifier(table.key_column),
            label=pgsql.Identifier(table.label_column), location=pgsql.Identifier(table.location_column),
            grid=pgsql.Identifier(column), selection=pgsql.SQL(table.selection or "true"),
        ).as_string(connection.connection)
        with connection.cursor() as cursor:
            cursor.execute(statement, {"region": ewkb(region), "retired": retired, "level": int(level)})
            rows = sorted(cursor.fetchall(), key=lambda r: (r[1] or ""))
        moved_keys[table.name] = {key: (old, new) for key, _, old, new in rows}
        moves[table.name] = summarise([(old, new) for _, _, old, new in rows])
        moves[table.name]["items"] = [{"id": key, "label": label, "from": old, "to": new}
                                      for key, label, old, new in rows[:MAX_LISTED]]
    for dependent in placed.dependent_tables():
        if dependent.parent not in moved_keys:
            continue
        parents = moved_keys[dependent.parent]
        pairs: list[tuple[str | None, str | None]] = []
        if parents:
            statement = pgsql.SQL("SELECT {fk}, count(*) FROM {table} WHERE {fk} = ANY(%s) GROUP BY {fk}").format(
                fk=pgsql.Identifier(dependent.fk_column), table=pgsql.Identifier(dependent.table),
            ).as_string(connection.connection)
            with connection.cursor() as cursor:
                cursor.execute(statement, [list(parents)])
                for key, count in cursor.fetchall():
                    pairs.extend([parents[key]] * count)
        moves[dependent.name] = summarise(pairs)
    return moves


def summarise(pairs: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    """Count moves, by (from, to) grid; `stranded` counts those left in no grid at all."""
    by_grid = Counter(pairs)
    return {"count": len(pairs), "stranded": sum(n for (_, to), n in by_grid.items() if to is None),
            "by_grid": [{"from": old, "to": new, "count": n} for (old, new), n in sorted(
                by_grid.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or ""))]}


def describe_problems(problems: list[Problem]) -> str:
    parts = defaultdict(list)
    for problem in problems:
        parts[problem.of].append(problem.area_m2)
    words = []
    for of in BLOCKING:
        if parts[of]:
            n = len(parts[of])
            noun = {"gap": "gap", "overlap": "overlap", "outside": "piece outside the village"}[of]
            words.append(f"{n} {noun}{'s' if n > 1 and of != 'outside' else ''} ({sum(parts[of]):,.1f} m²)")
    return " and ".join(words)


def execute(plan: Plan, *, access: Access, commit: bool, sliver_m2: float) -> dict[str, Any]:
    """Check, apply, reassign and report one plan, inside the caller's transaction."""
    problems = change_problems(plan, sliver_m2)
    blocking = [p for p in problems if p.of in BLOCKING]
    if commit and blocking:
        raise Conflict(f"the {plan.operation} would leave {describe_problems(blocking)}. {plan.hint}".strip(),
                       detail={"problems": [p.as_dict() for p in problems]})
    workers = affected_workers(plan)
    before_m2 = areas_m2([c.before for c in plan.changes])
    after_m2 = areas_m2([c.after for c in plan.changes])
    apply(plan, author=access.username)
    moves = reassign(plan)
    names = dict(Area.objects.filter(code__in=[c.code for c in plan.changes]).values_list("code", "name"))
    report: dict[str, Any] = {
        "operation": plan.operation, "target": plan.target, "committed": commit, "valid_from": str(plan.on),
        "reason": plan.reason, "village": plan.village.code,
        "can_commit": not blocking,
        "changes": [{"code": c.code, "name": c.name or names.get(c.code, ""), "role": c.role,
                     "area_before_m2": _round(b), "area_after_m2": _round(a),
                     "before": geojson(c.before), "after": geojson(c.after)}
                    for c, b, a in zip(plan.changes, before_m2, after_m2, strict=True)],
        "neighbours_affected": [c.code for c in plan.changes if c.role == "neighbour"],
        "moves": moves, "workers": workers,
        "problems": [p.as_dict() for p in problems],
        **plan.extra,
    }
    report.pop("illustrative", None)
    return report


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def run(village: Area, build: Callable[[], Plan], *, access: Access, commit: bool,
        sliver_m2: float = DEFAULT_SLIVER_M2) -> dict[str, Any]:
    """Plan, check and apply a change in one transaction; keep it (commit) or roll it back (preview)."""
    check_village_in_scope(village, access)
    with transaction.atomic():
        lock_village(village)
        plan = build()
        report = execute(plan, access=access, commit=commit, sliver_m2=sliver_m2)
        if commit:
            rows = len(plan.changes) + sum(m["count"] for m in report["moves"].values())
            audit(access, AuditRecord.Action.BOUNDARY_CHANGE, target=plan.target[:200], rows=rows, detail={
                "operation": plan.operation, "reason": plan.reason, "valid_from": str(plan.on),
                "village": plan.village.code,
                "before": {c.code: geojson(c.before) for c in plan.changes if c.before is not None},
                "after": {c.code: geojson(c.after) for c in plan.changes if c.after is not None},
                "roles": {c.code: c.role for c in plan.changes},
                "moves": {name: m["count"] for name, m in report["moves"].items()},
                "workers": [{k: w[k] for k in ("employee_no", "grid", "change")} for w in report["workers"]],
                **{k: v for k, v in plan.extra.items() if k in ("resolution",)},
            })
        else:
            transaction.set_rollback(True)
    return report
