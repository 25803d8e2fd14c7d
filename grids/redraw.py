"""The three boundary changes a planner makes: redraw a grid, split it along a line, merge grids.

Each builds a plan (grids before and after) that grids/changes.py checks, applies and reports; see
there for the transaction. This module holds what is particular to each: reading the request,
refusing what cannot be done (with a message that says what to do instead), and the geometry.

Resolutions of a redraw, so that coverage stays whole:
- `gained_from: "neighbours"`: the area the grid gains is taken from the neighbours that cover it;
- `lost_to: "<code>"`: the area the grid loses is handed to that neighbour.
Without them, a redraw that would open a gap or overlap a neighbour can be previewed (the preview
shows the problems) but not committed (409).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

from geo import crs
from geo.access import Access
from geo.errors import InvalidGeometry, InvalidInput
from geo.geometry import parse_geometry
from grids import changes
from grids.changes import Change, Plan, ewkb, from_ewkb, geojson
from grids.codes import Level, check_digits
from grids.coverage import DEFAULT_SLIVER_M2, GRID_DEG, NOISE_DEG, sql
from grids.http import parse_bool, parse_not_future, parse_number, parse_text
from grids.models import Area, get_area

# Degrees per metre along a meridian: converts snap distances and the minimum shared edge.
DEG_PER_M = 1 / 111_320
# Merge: grids count as adjacent when they share more than this much boundary (about 1 m).
MIN_SHARED_EDGE_DEG = 1e-5
MAX_SNAP_M = 50.0

REDRAW_HINT = ("Take the gained area from the neighbours (gained_from: \"neighbours\") and/or hand the lost area "
               "to a neighbour (lost_to: \"<grid code>\").")


@dataclass(frozen=True)
class Proposal:
    """A redraw as asked for: the new boundary (WGS84) and how to keep coverage whole."""

    boundary: GEOSGeometry
    gained_from: bool
    lost_to: str | None
    reason: str
    on: dt.date
    snap_m: float = 0.0


def read_srid(data: dict[str, Any]) -> int | None:
    srid = data.get("srid")
    if srid is None:
        return None
    if isinstance(srid, float) and srid.is_integer():  # 4490.0: JSON has one number type
        srid = int(srid)
    if isinstance(srid, bool) or not isinstance(srid, int):
        raise InvalidInput(f"srid must be an integer EPSG code, got {srid!r}", field="srid")
    if not crs.is_supported(srid):
        raise InvalidInput(f"srid {srid} is not supported; use {crs.describe_supported()}", field="srid")
    return srid


def read_reason(data: dict[str, Any], commit: bool) -> str:
    """Why the boundary changes: required to commit (it goes to the audit trail and the history)."""
    reason = parse_text(data, "reason", max_length=180)
    if commit and not reason:
        raise InvalidInput("reason is required: say why the boundary changes (it is kept with the change)",
                           field="reason")
    return reason


def read_proposal(data: dict[str, Any], *, commit: bool) -> Proposal:
    """A redraw request body, checked field by field."""
    if "boundary" not in data:
        raise InvalidInput("boundary is required: the new boundary as GeoJSON", field="boundary")
    boundary = parse_geometry(data["boundary"], srid=read_srid(data), kinds=("MultiPolygon",), field="boundary")
    gained_from = data.get("gained_from")
    if gained_from not in (None, "neighbours"):
        raise InvalidInput(f"gained_from must be \"neighbours\" or null, got {gained_from!r}", field="gained_from")
    lost_to = data.get("lost_to")
    if lost_to is not None:
        if not isinstance(lost_to, str):
            raise InvalidInput(f"lost_to must be a grid code (a string), got {lost_to!r}", field="lost_to")
        check_digits(lost_to, "lost_to")
    snap_m = parse_number(data.get("snap_m", 0), "snap_m", maximum=MAX_SNAP_M)
    return Proposal(boundary=boundary, gained_from=gained_from == "neighbours", lost_to=lost_to or None,
                    reason=read_reason(data, commit), on=parse_not_future(data.get("valid_from"), "valid_from"),
                    snap_m=snap_m)


def read_sliver(data: dict[str, Any]) -> float:
    return parse_number(data.get("sliver_m2", DEFAULT_SLIVER_M2), "sliver_m2")


def check_lost_to(grid: Area, lost_to: str, on: dt.date) -> None:
    """lost_to must be a current grid of the same village that shares an edge with the grid."""
    neighbour = Area.objects.current(on).filter(code=lost_to).first()
    if neighbour is None or neighbour.level != Level.GRID or neighbour.parent_id != grid.parent_id:
        raise InvalidInput(f"lost_to {lost_to} is not a grid of village {grid.parent_id}; the lost area can only "
                           "go to a neighbouring grid of the same village", field="lost_to")
    if lost_to == grid.code:
        raise InvalidInput("lost_to is the grid being redrawn; name a neighbour", field="lost_to")
    touching = Area.objects.filter(code=lost_to, boundary__dwithin=(grid.boundary, NOISE_DEG)).exists()
    if not touching:
        raise InvalidInput(f"lost_to {lost_to} is not a neighbour of {grid.code}: they share no edge",
                           field="lost_to")


def fit(grid: Area, proposal: Proposal) -> GEOSGeometry:
    """Snap the proposal to the edges around it (when asked) and refuse it if it leaves the village."""
    lat = (proposal.boundary.extent[1] + proposal.boundary.extent[3]) / 2
    snap_deg = proposal.snap_m * DEG_PER_M / max(math.cos(math.radians(lat)), 0.1)
    params = {"proposed": ewkb(proposal.boundary), "code": grid.code, "village": grid.parent_id, "snap": snap_deg,
              "grid": GRID_DEG, "noise": NOISE_DEG, "today": proposal.on}
    with connection.cursor() as cursor:
        cursor.execute(sql("proposal_fit"), params)
        fitted, reason, outside_m2, outside = cursor.fetchone()
    if reason != "Valid Geometry":
        raise InvalidGeometry(f"boundary: snapping to the edges within {proposal.snap_m:g} m made it invalid "
                              f"({reason}); use a smaller snap_m", field="boundary")
    if outside_m2 > 0:
        raise InvalidGeometry(
            f"boundary: {outside_m2:,.1f} m² of the new boundary lie outside village {grid.parent_id}; a grid "
            "stays inside its village (snap_m snaps a boundary drawn close to the village edge onto it)",
            field="boundary", detail={"outside": {"area_m2": round(outside_m2, 2), "geometry": outside and
                                                  geojson(GEOSGeometry(outside))}})
    return changes.multipolygon(from_ewkb(fitted))


def plan_redraw(grid: Area, proposal: Proposal) -> Plan:
    fitted = fit(grid, proposal)
    params = {"code": grid.code, "proposed": ewkb(fitted), "gained_from": proposal.gained_from,
              "lost_to": proposal.lost_to, "grid": GRID_DEG, "noise": NOISE_DEG, "today": proposal.on}
    with connection.cursor() as cursor:
        cursor.execute(sql("redraw_plan"), params)
        rows = cursor.fetchall()
    plan_changes: list[Change] = []
    pieces: dict[str, dict[str, Any]] = {}
    for code, role, before, after, area_m2 in rows:
        geom = from_ewkb(after)
        if role in ("gained", "lost"):
            pieces[role] = {"area_m2": round(area_m2, 2), "geometry": None if geom.empty else geojson(geom)}
            continue
        if geom.empty:
            raise InvalidInput(f"the new boundary would take all of grid {code}; merge the grids instead",
                               field="boundary")
        plan_changes.append(Change(code=code, role=role, before=from_ewkb(before), after=geom))
    if pieces["gained"]["geometry"] is None and pieces["lost"]["geometry"] is None:
        raise InvalidInput(f"the new boundary is the same as the current boundary of {grid.code}", field="boundary")
    warnings = []
    for change in plan_changes:
        if change.after.num_geom <= change.before.num_geom:
            continue
        if change.code == proposal.lost_to:
            raise InvalidInput(f"the lost area does not border {change.code}: handing it over would cut that grid into "
                               f"{change.after.num_geom} separate pieces; choose the neighbour it borders",
                               field="lost_to")
        warnings.append(f"grid {change.code} would be in {change.after.num_geom} separate pieces")
    return Plan(operation="redraw", target=grid.code, village=grid.parent, changes=plan_changes, on=proposal.on,
                reason=proposal.reason, hint=REDRAW_HINT,
                extra={"gained": pieces["gained"], "lost": pieces["lost"], "warnings": warnings,
                       "resolution": {"gained_from": "neighbours" if proposal.gained_from else None,
                                      "lost_to": proposal.lost_to, "snap_m": proposal.snap_m},
                       "illustrative": grid.illustrative})


def redraw(code: str, data: dict[str, Any], access: Access, *, commit: bool) -> dict[str, Any]:
    """Preview (commit=False) or commit a new boundary for a basic grid."""
    grid = get_area(code, access.scope)
    proposal = read_proposal(data, commit=commit)
    sliver_m2 = read_sliver(data)
    changes.current_grid(grid, proposal.on)
    if proposal.lost_to:
        check_lost_to(grid, proposal.lost_to, proposal.on)

    def build() -> Plan:
        return plan_redraw(Area.objects.get(pk=grid.pk), proposal)

    return changes.run(grid.parent, build, access=access, commit=commit, sliver_m2=sliver_m2)


def order_pieces(pieces: list[tuple[GEOSGeometry, float, float, float]]) -> list[tuple[GEOSGeometry, float]]:
    """West→east when the pieces lie side by side, north→south when they lie one above the other."""
    xs = [p[2] for p in pieces]
    ys = [p[3] for p in pieces]
    side_by_side = (max(xs) - min(xs)) >= (max(ys) - min(ys))
    ordered = sorted(pieces, key=(lambda p: (p[2], -p[3])) if side_by_side else (lambda p: (-p[3], p[2])))
    return [(p[0], p[1]) for p in ordered]


def read_names(data: dict[str, Any], field: str) -> list[str]:
    names = data.get(field) or []
    if not isinstance(names, list) or not all(isinstance(n, str) and 0 < len(n.strip()) <= 100 for n in names):
        raise InvalidInput(f"{field} must be a list of names (1-100 characters each)", field=field)
    return [n.strip() for n in names]


def split(code: str, data: dict[str, Any], access: Access, *, commit: bool) -> dict[str, Any]:
    """Cut a basic grid along a line: each piece becomes a new grid with the next unused code.

    The old grid is retired (its row and boundary history stay; its code is never reused). Its
    workers are carried over to every piece, so no piece is left without someone responsible until
    the planner divides them; the report says so.
    """
    grid = get_area(code, access.scope)
    if "line" not in data:
        raise InvalidInput("line is required: a GeoJSON LineString drawn across the grid", field="line")
    line = parse_geometry(data["line"], srid=read_srid(data), kinds=("LineString", "MultiLineString"), field="line")
    on = parse_not_future(data.get("valid_from"), "valid_from")
    reason = read_reason(data, commit)
    names = read_names(data, "names")
    sliver_m2 = read_sliver(data)
    changes.current_grid(grid, on)

    def build() -> Plan:
        with connection.cursor() as cursor:
            cursor.execute(sql("split"), {"code": grid.code, "line": ewkb(line), "grid": GRID_DEG})
            pieces = [(from_ewkb(g), m2, x, y) for g, m2, x, y in cursor.fetchall()]
        if len(pieces) < 2:
            raise InvalidInput(f"the line does not cut grid {grid.code} in two: draw it across the grid, from "
                               "edge to edge", field="line")
        small = [m2 for _, m2, _, _ in pieces if m2 < sliver_m2]
        if small:
            raise InvalidInput(f"the line would cut off a piece of {min(small):,.2f} m², below the sliver threshold "
                               f"of {sliver_m2:g} m²", field="line")
        if names and len(names) != len(pieces):
            raise InvalidInput(f"names has {len(names)} names for {len(pieces)} pieces", field="names")
        ordered = order_pieces(pieces)
        codes = changes.next_grid_codes(grid.parent, len(ordered))
        created = [Change(code=c, role="created", before=None, after=changes.multipolygon(g),
                          name=names[i] if names else f"{grid.name}-{i + 1}", kind=grid.kind)
                   for i, (c, (g, _)) in enumerate(zip(codes, ordered, strict=True))]
        retired = Change(code=grid.code, role="retired", before=grid.boundary, after=None, name=grid.name)
        return Plan(operation="split", target=grid.code, village=grid.parent, changes=[retired, *created], on=on,
                    reason=reason, carry={grid.code: codes},
                    extra={"created": codes, "retired": [grid.code], "illustrative": grid.illustrative,
                           "workers_note": "the split grid's workers are assigned to every new grid; "
                                           "divide them with the assignments when ready"})

    return changes.run(grid.parent, build, access=access, commit=commit, sliver_m2=sliver_m2)


def connected(codes: list[str], pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Groups of codes joined through shared edges (one group: all adjacent)."""
    links: dict[str, set[str]] = {c: set() for c in codes}
    for a, b in pairs:
        links[a].add(b)
        links[b].add(a)
    groups, seen = [], set()
    for start in codes:
        if start in seen:
            continue
        group, queue = [], deque([start])
        seen.add(start)
        while queue:
            code = queue.popleft()
            group.append(code)
            for other in sorted(links[code] - seen):
                seen.add(other)
                queue.append(other)
        groups.append(sorted(group))
    return groups


def merge(data: dict[str, Any], access: Access, *, commit: bool) -> dict[str, Any]:
    """Merge adjacent basic grids of one village into a new grid with the next unused code.

    The merged grids are retired (rows and history kept, codes never reused); all their workers are
    assigned to the new grid.
    """
    codes = data.get("codes")
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise InvalidInput("codes must be a list of grid codes (strings)", field="codes")
    codes = sorted(set(codes))
    if len(codes) < 2:
        raise InvalidInput("codes must name at least two different grids to merge", field="codes")
    for code in codes:
        check_digits(code, "codes")
    on = parse_not_future(data.get("valid_from"), "valid_from")
    reason = read_reason(data, commit)
    name = parse_text(data, "name", max_length=100)
    sliver_m2 = read_sliver(data)
    grids = [changes.current_grid(get_area(code, access.scope), on) for code in codes]
    villages = sorted({g.parent_id for g in grids})
    if len(villages) > 1:
        raise InvalidInput(f"the grids belong to different villages ({', '.join(villages)}); only grids of one "
                           "village can be merged", field="codes")
    village = grids[0].parent

    def build() -> Plan:
        with connection.cursor() as cursor:
            cursor.execute(sql("merge_pairs"), {"codes": codes, "noise": NOISE_DEG, "min_edge": MIN_SHARED_EDGE_DEG})
            pairs = cursor.fetchall()
            groups = connected(codes, pairs)
            if len(groups) > 1:
                raise InvalidInput("the grids are not all adjacent: " + " | ".join(", ".join(g) for g in groups)
                                   + " share no edge; only adjacent grids can be merged", field="codes")
            cursor.execute(sql("merge_union"), {"codes": codes, "grid": GRID_DEG})
            union = changes.multipolygon(from_ewkb(cursor.fetchone()[0]))
        [new_code] = changes.next_grid_codes(village, 1)
        retired = [Change(code=g.code, role="retired", before=g.boundary, after=None, name=g.name) for g in grids]
        created = Change(code=new_code, role="created", before=None, after=union,
                         name=name or "+".join(g.name for g in grids)[:100], kind=grids[0].kind)
        return Plan(operation="merge", target=",".join(codes), village=village, changes=[*retired, created], on=on,
                    reason=reason, carry={g.code: [new_code] for g in grids},
                    extra={"created": [new_code], "retired": codes,
                           "illustrative": any(g.illustrative for g in grids),
                           "workers_note": "the merged grids' workers are all assigned to the new grid"})

    return changes.run(village, build, access=access, commit=commit, sliver_m2=sliver_m2)


def is_preview(data: dict[str, Any]) -> bool:
    """Split and merge commit unless the body says {"preview": true}."""
    return parse_bool(data, "preview", default=False)
