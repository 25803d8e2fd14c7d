"""What the pages need to know about areas besides figures: extents, names to label the map with,
breadcrumbs, a grid's workers and recent incidents. All through the ORM and always inside the
caller's scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import PointOnSurface
from django.db.models import F, FloatField, Func, Q
from django.utils import timezone

from geo.access import Access
from geo.kept import Keeper
from grids.models import Area, Worker
from layers.desk.scope import visible
from layers.models import Incident

# The page route of each level (dedicated grids share the grid page).
ROUTES = {-1: "province", 0: "city", 1: "county", 2: "township", 3: "village", 4: "grid", 5: "grid"}
LEVEL_KEYS = {-1: "province", 0: "city", 1: "county", 2: "township", 3: "village", 4: "grid", 5: "dedicated"}


@dataclass(frozen=True)
class Crumb:
    code: str
    name: str
    level: int
    linked: bool  # False above the caller's scope: shown for context, not a page they may open


def extent(code: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the area's current boundary, as PostGIS computes it."""
    box = Area.objects.filter(code=code).aggregate(e=Extent("boundary"))["e"]
    if box is None:
        raise ValueError(f"area {code} has no boundary")
    return box


def labels(code: str, levels: tuple[int, ...]) -> list[list]:
    """[lat, lon, name, level, code] of the current areas at these levels inside the unit: a point on
    each area's surface, rounded to about a metre (compact enough to inline thousands)."""
    # Coordinates straight from PostGIS: building a GEOS point per area in Python costs ten times more.
    rows = (Area.objects.within(code).current().filter(level__in=levels)
            .annotate(point=PointOnSurface("boundary"))
            .annotate(lat=Func(F("point"), function="ST_Y", output_field=FloatField()),
                      lon=Func(F("point"), function="ST_X", output_field=FloatField()))
            .values_list("code", "name", "level", "lat", "lon"))
    return [[round(lat, 5), round(lon, 5), name, level, area_code] for area_code, name, level, lat, lon in rows
            if lat is not None]


def breadcrumbs(area: Area, scope: str | None) -> list[Crumb]:
    """County first, down to the area; ancestors above the caller's scope are not links."""
    chain = [*area.ancestors(), area]
    return [Crumb(a.code, a.name, a.level, not scope or a.code.startswith(scope)) for a in chain]


# The code of the unit the panorama opens on, per scope: every page's links ask for it (a county's link is
# the panorama when the panorama shows it), and it changes only when counties are loaded or removed.
_ROOTS = Keeper("panorama roots", 60.0, max_entries=256)


def root_area(scope: str | None) -> Area | None:
    """The unit the panorama opens on (see _root)."""
    code = root_code(scope)
    return Area.objects.current().filter(code=code).first() if code else None


def root_code(scope: str | None) -> str:
    return _ROOTS.get(scope or "", lambda: getattr(_root(scope), "code", ""))


def _root(scope: str | None) -> Area | None:
    """The caller's scope, or the top of the tree (the first province, or the first county when the tree
    starts at the county); a province or city holding a single county opens on that county."""
    qs = Area.objects.current()
    unit = qs.filter(code=scope).first() if scope else qs.filter(parent__isnull=True).order_by("level", "code").first()
    # A province or city with one county opens on that county, as a database of one county always has.
    while unit is not None and unit.level < 1:
        only = list(qs.filter(parent=unit).order_by("code")[:2])
        if len(only) != 1:
            break
        unit = only[0]
    return unit


def grid_workers(code: str) -> list[dict]:
    """The workers holding the grid today, chief first (names and numbers only: no phones on pages)."""
    today = timezone.localdate()
    current = Q(assignments__area_id=code, assignments__valid_from__lte=today) & (
        Q(assignments__valid_to__isnull=True) | Q(assignments__valid_to__gt=today))
    workers = Worker.objects.filter(current, active=True).distinct().order_by("role", "employee_no")
    return [{"employee_no": w.employee_no, "name": w.name, "role": w.get_role_display()} for w in workers]


def recent_incidents(code: str, category: str = "", limit: int = 20, access: Access | None = None) -> list[Incident]:
    """The grid's latest incidents (no personal fields are read), of those the caller may see."""
    qs = (Incident.objects.filter(dedicated_grid_id=code, county_code=code[:6]) if len(code) == 16
          else Incident.objects.within(code))
    if access is not None:
        qs = visible(access, qs)
    if category:
        qs = qs.filter(category=category)
    return list(qs.only("id", "category", "severity", "status", "reported_at", "due_at", "closed_at", "grid_id")
                .order_by("-reported_at", "-id")[:limit])
