"""Point → chain of areas (county → township → village/community → grid, plus dedicated grids).

Today's answer comes from grids_areapart, the current boundaries cut into pieces of at most 128
vertices (kept by a trigger), so a point test never walks a county outline of thousands of vertices.
A past date's answer comes from the boundary history. Either way it is one query, and the boundary
itself is never loaded: an answer is codes and names.

A point on an edge shared by two areas of one level is covered by both: the lowest code wins, the
same rule as gridmap_area_at() that places buildings and incidents, so the API, the bulk command and
the placement triggers always agree.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.contrib.gis.geos import Point

from grids.codes import Level
from grids.models import AreaPart, BoundaryVersion

CHAIN_KEYS = {Level.PROVINCE: "province", Level.CITY: "city", Level.COUNTY: "county", Level.TOWNSHIP: "township",
              Level.VILLAGE: "village", Level.GRID: "grid"}


class AreaRef(TypedDict):
    code: str
    name: str
    kind: str


class Chain(TypedDict):
    province: AreaRef | None  # None when the tree starts at the county
    city: AreaRef | None
    county: AreaRef | None
    township: AreaRef | None
    village: AreaRef | None
    grid: AreaRef | None
    dedicated: list[AreaRef]


def locate(point: Point, at: dt.date | None = None, scope: str | None = None) -> Chain:
    """The areas covering `point` (today, or on `at`), as the caller may see them.

    A point inside the caller's scope gets its whole chain, the areas above the scope included (a
    township user sees the county's name, which is no secret). A point outside the scope gets an
    empty chain: nothing tells a township user which grid of another township a point is in.
    """
    if at is None:
        rows = AreaPart.objects.covering(point.x, point.y)
    else:
        rows = (BoundaryVersion.objects.valid_on(at).filter(boundary__intersects=point).order_by()
                .values_list("area__level", "area__code", "area__name", "area__kind"))
    found = sorted(set(rows), key=lambda r: (r[0], r[1]))
    if scope:
        if not any(code.startswith(scope) for _, code, _, _ in found):
            found = []
        found = [r for r in found if r[1].startswith(scope) or scope.startswith(r[1])]
    chain: Chain = {"province": None, "city": None, "county": None, "township": None, "village": None, "grid": None,
                    "dedicated": []}
    for level, code, name, kind in found:
        ref: AreaRef = {"code": code, "name": name, "kind": kind}
        if level == Level.DEDICATED:
            chain["dedicated"].append(ref)
        elif chain[CHAIN_KEYS[Level(level)]] is None:
            chain[CHAIN_KEYS[Level(level)]] = ref
    return chain
