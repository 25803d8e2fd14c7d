"""Query-string filters on incidents (class, status, severity, source, period, area, live flags,
supervision, department), shared by the tiles, the exports and OGC API - Features so that a filter means
the same everywhere; every bad value is a 400 naming the parameter.

`flag` narrows to matters that have any of the live flags at the moment the figures are taken (now, or
the end of a past period): `accept_overdue` (open, not accepted, past the acceptance limit: 受理超期)
and `due_soon` (open, due within the next 24 hours: 临期). Their definitions are SQL functions
(layers/figures/sql/functions/10_definitions.sql), applied by layers.figures.counts.

`for_access()` narrows a department account's filters to its own department: every reader that takes
Filters applies it, so a department sees only the matters dispatched to it on every path."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from geo import screen
from geo.access import Access
from geo.errors import Forbidden, InvalidInput
from geo.http import parse_day
from grids.codes import AREA_CODE_HELP, AREA_CODE_RE
from layers.models import Incident

OPEN = tuple(Incident.OPEN_STATUSES)
CHOICES = {
    "class": {c for c, _ in Incident.Category.choices},
    "status": {s for s, _ in Incident.Status.choices} | {"open"},
    "severity": {s for s, _ in Incident.Severity.choices},
    "source": {s for s, _ in Incident.Source.choices},
    "flag": {"accept_overdue", "due_soon"},
}
CODE_RE = AREA_CODE_RE
# supervision=: supervised (督办, listed included), listed (挂牌督办 only), overdue (not closed by the
# supervision deadline; layers/figures/sql/functions/30_desk.sql, desk_supervision_overdue).
SUPERVISION = ("supervised", "listed", "overdue")
DEPARTMENT_RE = re.compile(r"^[0-9]{6,16}-[A-Z0-9]{1,15}$")
MAX_RANGE_DAYS = 366 * 20
# The one calendar range Gridmap accepts (geo.screen refuses dates outside it on every route).
FIRST_DAY, LAST_DAY = screen.FIRST_DAY, screen.LAST_DAY


@dataclass(frozen=True)
class Filters:
    """Canonical filters: sorted tuples, so equal filters make equal cache keys."""

    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    area: str | None = None
    flags: tuple[str, ...] = ()  # live: any of them, at the moment taken
    supervision: str = ""  # one of SUPERVISION, or "" (no supervision filter)
    department: str = ""  # a department's code: the matters with an open dispatch to it (lead or co)
    not_visited: int | None = None  # coverage tiles: only areas with no track or visit in the last N days

    def canonical(self) -> str:
        return "|".join([",".join(self.categories), ",".join(self.statuses), ",".join(self.severities),
                         ",".join(self.sources), str(self.since or ""), str(self.until or ""), self.area or "",
                         ",".join(self.flags), self.supervision, self.department, str(self.not_visited or "")])

    @property
    def until_exclusive(self) -> dt.date | None:
        return self.until + dt.timedelta(days=1) if self.until else None


def _multi(params: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = params.get(name)
    if raw is None or raw == "":
        return ()
    values = sorted({v.strip() for v in raw.split(",") if v.strip()})
    unknown = [v for v in values if v not in CHOICES[name]]
    if unknown:
        raise InvalidInput(f"{name}: unknown value {unknown[0]!r}; use one of {', '.join(sorted(CHOICES[name]))}",
                           field=name)
    if name == "status" and "open" in values:
        values = sorted(set(values) - {"open"} | set(OPEN))
    return tuple(values)


def _date(params: Mapping[str, str], name: str) -> dt.date | None:
    return parse_day(params.get(name), name)


def parse_filters(params: Mapping[str, str]) -> Filters:
    since, until = _date(params, "since"), _date(params, "until")
    if since and until and until < since:
        raise InvalidInput(f"until ({until}) is before since ({since})", field="until")
    if since and until and (until - since).days > MAX_RANGE_DAYS:
        raise InvalidInput("since..until spans more than 20 years", field="since")
    area = params.get("area") or None
    if area is not None and not CODE_RE.fullmatch(area):
        raise InvalidInput(f"area: {area!r} is not an area code ({AREA_CODE_HELP})", field="area")
    supervision = params.get("supervision") or ""
    if supervision and supervision not in SUPERVISION:
        raise InvalidInput(f"supervision: unknown value {supervision!r}; use one of {', '.join(SUPERVISION)}",
                           field="supervision")
    department = params.get("department") or ""
    if department and not DEPARTMENT_RE.fullmatch(department):
        raise InvalidInput(f"department: {department!r} is not a department code (area code-NAME, e.g. 419001-SFJ)",
                           field="department")
    return Filters(categories=_multi(params, "class"), statuses=_multi(params, "status"),
                   severities=_multi(params, "severity"), sources=_multi(params, "source"),
                   since=since, until=until, area=area, flags=_multi(params, "flag"), supervision=supervision,
                   department=department, not_visited=_not_visited(params))


MAX_NOT_VISITED = 365


def _not_visited(params: Mapping[str, str]) -> int | None:
    """not_visited=N (the coverage layer, issue 19): areas with no track and no visit in the last N days."""
    raw = params.get("not_visited")
    if raw is None or raw == "":
        return None
    if not str(raw).isdigit() or not 1 <= int(raw) <= MAX_NOT_VISITED:
        raise InvalidInput(f"not_visited: give a number of days from 1 to {MAX_NOT_VISITED}, got {raw!r}",
                           field="not_visited")
    return int(raw)


def for_access(filters: Filters, access: Access) -> Filters:
    """The filters a caller's request may apply: a department account's are narrowed to its own
    department (asking for another department's is a 403, not a silent swap)."""
    if not access.narrowed:
        return filters
    if filters.department and filters.department != access.department_code:
        raise Forbidden(f"department: {access.username} sees only the matters of {access.department_code}")
    return replace(filters, department=access.department_code)


def effective_prefix(scope: str | None, area: str | None) -> str | None | bool:
    """Combine the caller's scope and the area filter into one code prefix.

    Returns the prefix (None = no restriction), or False when the two do not overlap (nothing to show).
    """
    if area is None:
        return scope
    if scope is None or area.startswith(scope):
        return area
    if scope.startswith(area):
        return scope
    return False
