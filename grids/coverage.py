"""Coverage check: do the children of each area tile it, "全方位、无死角"?

Problems, each with its geometry and its area in m² (geodesic, from PostGIS geography):

| kind    | what                                                                             |
|---------|----------------------------------------------------------------------------------|
| gap     | part of a parent that none of its children (basic grids, villages...) covers     |
| overlap | part covered by two siblings (dedicated grids are checked only among themselves) |
| outside | part of a child that lies outside its parent                                      |
| invalid | a boundary that is not OGC-valid, with GEOS's reason and where                   |
| sliver  | a gap, overlap or outside piece, or a polygon part of an area, below --sliver-m2 |

Tolerance: the overlays run on a 1e-7° grid (about 1 cm; PostGIS's fixed-precision overlay), and a
piece thinner than 2e-7° (about 2 cm) is dropped as floating-point noise. Two neighbours whose shared
edge was computed twice (say by a clip and by a union) differ by 1e-15°, and that must not be
reported as a gap a kilometre long; a 5 cm strip left by a careless edit is reported (as a sliver
when it is smaller than the threshold).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from geo import sql as geo_sql
from grids.codes import Level
from grids.models import Area

# Grid size of every overlay (coverage check, redraw, merge, split), in degrees: about 1 cm.
GRID_DEG = 1e-7
# Half the width below which an overlay piece is noise (a negative buffer of this size erases it).
NOISE_DEG = 1e-7
DEFAULT_SLIVER_M2 = 1.0


def sql(name: str) -> str:
    """The text of grids/sql/<name>.sql (read once, by geo.sql)."""
    return geo_sql.load("grids", name)


@dataclass
class Problem:
    kind: str
    of: str
    parent: str
    codes: list[str]
    area_m2: float
    geometry: dict[str, Any]
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "of": self.of, "parent": self.parent, "codes": self.codes,
                "area_m2": round(self.area_m2, 3), "detail": self.detail, "geometry": self.geometry}

    def describe(self) -> str:
        """One line for a terminal."""
        what = {
            "gap": f"gap in {self.parent}",
            "overlap": f"overlap of {' and '.join(self.codes)}",
            "outside": f"{''.join(self.codes)} outside its parent {self.parent}",
            "invalid": f"{''.join(self.codes)} has an invalid boundary",
            "part": f"polygon part of {''.join(self.codes)}",
        }[self.of]
        prefix = "sliver: " if self.kind == "sliver" else ""
        text = f"{prefix}{what}: {self.area_m2:,.2f} m²"
        return f"{text}; {self.detail}" if self.detail else text


@dataclass
class Report:
    area: str | None
    parents_checked: int
    children_checked: int
    sliver_m2: float
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        counts = {k: 0 for k in ("gap", "overlap", "outside", "invalid", "sliver")}
        for problem in self.problems:
            counts[problem.kind] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {"area": self.area, "ok": self.ok, "sliver_m2": self.sliver_m2,
                "parents_checked": self.parents_checked, "children_checked": self.children_checked,
                "counts": self.counts(), "problems": [p.as_dict() for p in self.problems]}


def parents_to_check(area: Area | None, scope: str | None = None) -> tuple[list[str], str | None]:
    """The parents whose children are checked, and the focus area (for a single grid).

    A county, township or village: itself and every area below it that has children. A basic or
    dedicated grid: its village, reporting only the problems the grid is part of.
    """
    if area is not None and area.level in (Level.GRID, Level.DEDICATED):
        return [area.parent_id], area.code
    parents = Area.objects.current().filter(level__lte=Level.VILLAGE)
    parents = parents.within(area.code if area else scope)
    return list(parents.values_list("code", flat=True)), None


def check(area: Area | None = None, *, scope: str | None = None, sliver_m2: float = DEFAULT_SLIVER_M2) -> Report:
    """Check the coverage of `area` (everything in `scope` when None); one SQL statement."""
    parents, focus = parents_to_check(area, scope)
    report = Report(area=area.code if area else scope, parents_checked=len(parents), children_checked=0,
                    sliver_m2=sliver_m2)
    if not parents:
        return report
    params = {"parents": parents, "focus": focus, "grid": GRID_DEG, "noise": NOISE_DEG, "sliver": sliver_m2,
              "today": timezone.localdate()}
    with connection.cursor() as cursor:
        cursor.execute(sql("coverage"), params)
        for kind, of, parent, codes, area_m2, detail, geojson in cursor.fetchall():
            report.problems.append(Problem(kind=kind, of=of, parent=parent, codes=list(codes), area_m2=area_m2,
                                           geometry=json.loads(geojson), detail=detail or ""))
    children = Area.objects.current().filter(parent__in=parents)
    report.children_checked = 1 if focus else children.count()
    return report
