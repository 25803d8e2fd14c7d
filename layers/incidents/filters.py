"""Query-string filters on incidents (class, status, severity, source, period, area, supervision,
department), shared by the tiles, the exports and OGC API - Features so that a filter means the same
everywhere; every bad value is a 400 naming the parameter.

`for_access()` narrows a department account's filters to its own department: every reader that takes
Filters applies it, so a department sees only the matters dispatched to it on every path."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from geo.access import Access
from geo.errors import Forbidden, InvalidInput
from layers.models import Incident

OPEN = tuple(Incident.OPEN_STATUSES)
CHOICES = {
    "class": {c for c, _ in Incident.Category.choices},
    "status": {s for s, _ in Incident.Status.choices} | {"open"},
    "severity": {s for s, _ in Incident.Severity.choices},
    "source": {s for s, _ in Incident.Source.choices},
}
CODE_RE = re.compile(r"^[0-9]{6}([0-9]{3}){0,3}[0-9]?$")
# supervision=: supervised (督办, listed included), listed (挂牌督办 only), overdue (not closed by the
# supervision deadline; layers/figures/sql/functions/30_desk.sql, desk_supervision_overdue).
SUPERVISION = ("supervised", "listed", "overdue")
DEPARTMENT_RE = re.compile(r"^[0-9]{6,16}-[A-Z0-9]{1,15}$")
MAX_RANGE_DAYS = 366 * 20
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


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
    supervision: str = ""  # one of SUPERVISION, or "" (no supervision filter)
    department: str = ""  # a department's code: the matters with an open dispatch to it (lead or co)

    def canonical(self) -> str:
        return "|".join([",".join(self.categories), ",".join(self.statuses), ",".join(self.severities),
                         ",".join(self.sources), str(self.since or ""), str(self.until or ""), self.area or "",
                         self.supervision, self.department])

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
    raw = params.get(name)
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{name}: {raw!r} is not a date; use YYYY-MM-DD", field=name) from exc
    if not FIRST_DAY <= day <= LAST_DAY:  # 9999-12-31 would overflow the day after `until`
        raise InvalidInput(f"{name}: {raw} is out of range {FIRST_DAY}..{LAST_DAY}", field=name)
    return day


def parse_filters(params: Mapping[str, str]) -> Filters:
    since, until = _date(params, "since"), _date(params, "until")
    if since and until and until < since:
        raise InvalidInput(f"until ({until}) is before since ({since})", field="until")
    if since and until and (until - since).days > MAX_RANGE_DAYS:
        raise InvalidInput("since..until spans more than 20 years", field="since")
    area = params.get("area") or None
    if area is not None and not CODE_RE.match(area):
        raise InvalidInput(f"area: {area!r} is not an area code (6, 9, 12, 15 or 16 digits)", field="area")
    supervision = params.get("supervision") or ""
    if supervision and supervision not in SUPERVISION:
        raise InvalidInput(f"supervision: unknown value {supervision!r}; use one of {', '.join(SUPERVISION)}",
                           field="supervision")
    department = params.get("department") or ""
    if department and not DEPARTMENT_RE.match(department):
        raise InvalidInput(f"department: {department!r} is not a department code (area code-NAME, e.g. 419001-SFJ)",
                           field="department")
    return Filters(categories=_multi(params, "class"), statuses=_multi(params, "status"),
                   severities=_multi(params, "severity"), sources=_multi(params, "source"),
                   since=since, until=until, area=area, supervision=supervision, department=department)


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
