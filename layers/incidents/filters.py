"""Query-string filters on incidents (class, status, severity, source, period, area, live flags), shared
by the tiles, the exports and OGC API - Features so that a filter means the same everywhere; every bad
value is a 400 naming the parameter.

`flag` narrows to matters that have any of the live flags at the moment the figures are taken (now, or
the end of a past period): `accept_overdue` (open, not accepted, past the acceptance limit: 受理超期)
and `due_soon` (open, due within the next 24 hours: 临期). Their definitions are SQL functions
(layers/figures/sql/functions/10_definitions.sql), applied by layers.figures.counts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from geo import screen
from geo.errors import InvalidInput
from geo.http import parse_day
from layers.models import Incident

OPEN = tuple(Incident.OPEN_STATUSES)
CHOICES = {
    "class": {c for c, _ in Incident.Category.choices},
    "status": {s for s, _ in Incident.Status.choices} | {"open"},
    "severity": {s for s, _ in Incident.Severity.choices},
    "source": {s for s, _ in Incident.Source.choices},
    "flag": {"accept_overdue", "due_soon"},
}
CODE_RE = re.compile(r"^[0-9]{6}([0-9]{3}){0,3}[0-9]?$")
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

    def canonical(self) -> str:
        return "|".join([",".join(self.categories), ",".join(self.statuses), ",".join(self.severities),
                         ",".join(self.sources), str(self.since or ""), str(self.until or ""), self.area or "",
                         ",".join(self.flags)])

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
        raise InvalidInput(f"area: {area!r} is not an area code (6, 9, 12, 15 or 16 digits)", field="area")
    return Filters(categories=_multi(params, "class"), statuses=_multi(params, "status"),
                   severities=_multi(params, "severity"), sources=_multi(params, "source"),
                   since=since, until=until, area=area, flags=_multi(params, "flag"))


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
