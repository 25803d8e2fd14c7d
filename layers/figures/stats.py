"""GET /api/stats: a unit's or a worker's figures over any period, and each child unit's.

The figures and their definitions are layers.figures (counts.py adds them up, the SQL functions in
sql/functions/10_definitions.sql define them); this module parses the request, checks the scope and
shapes the answer. The period is [since, until); its cohort is the incidents reported in it, and
every figure is the cohort's state as of the period's end (or now, if it has not ended), so last March
reads the same today as it did in April. Counties, townships, villages and basic grids are added up
from the rollup; a dedicated grid's incidents are those placed in it, a worker's those assigned to
them, both counted from the rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone

from geo import sql
from geo.access import Access
from geo.errors import InvalidInput, NotFound
from geo.scope import county_sql
from grids.models import Area, Worker, get_area
from layers.figures import compare, desk, kept
from layers.figures.counts import Figures, Selection, by_area, child_level, unit_level
from layers.incidents import inputs
from layers.incidents.represent import iso
from layers.models import Incident

# Sections other apps add to a unit's answer (people's counts, issue 18; coverage and video patrols, issue 19):
# name → f(access, area, child codes), given by the app's AppConfig.ready (an app above layers may not be
# imported from here).
SECTIONS: dict[str, Any] = {}
# Those provided with `periodic=True`, called as f(access, area, child codes, period=Period, params=the query)
# for a figure over the asked period.
PERIODIC: set[str] = set()
# Those provided with `departments=False`: a department account gets None for them without the section being
# called (it sees the matters dispatched to it, not the unit's patrols), as the tile layers declared with
# `TileLayer.departments=False` refuse it: one declaration per section, not a check inside each.
CLOSED_TO_DEPARTMENTS: set[str] = set()


def provide_section(name: str, section, *, periodic: bool = False, departments: bool = True) -> None:
    SECTIONS[name] = section
    if periodic:
        PERIODIC.add(name)
    if not departments:
        CLOSED_TO_DEPARTMENTS.add(name)


@dataclass(frozen=True)
class Period:
    since: dt.datetime
    until: dt.datetime

    @property
    def as_of(self) -> dt.datetime:
        return min(self.until, timezone.now())

    def as_dict(self) -> dict[str, str | None]:
        return {"since": iso(self.since), "until": iso(self.until), "as_of": iso(self.as_of)}


def parse_period(params: Mapping[str, Any]) -> Period:
    """?since=&until= as dates or date-times; until is exclusive, and a date as until includes that day.

    Defaults: since the start of this calendar year, until now.
    """
    now = timezone.now()
    since = inputs.moment(params.get("since"), "since")
    until = inputs.moment(params.get("until"), "until", end_of_day=True) or now
    if since is None:
        since = timezone.make_aware(dt.datetime(timezone.localtime(until).year, 1, 1))
    if since >= until:
        raise InvalidInput(f"since ({iso(since)}) must be before until ({iso(until)})", field="since")
    return Period(since, until)


def unit_figures(access: Access, code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET /api/stats/<code>: the unit's figures, and with ?children=1 each child unit's."""
    area = get_area(code, access.scope)
    period = parse_period(params)
    level = unit_level(area.code)
    narrowed = department_of(access)
    if level is None:  # a dedicated grid: its incidents are those placed in it (they also count in a basic grid)
        sel = Selection(period.since, period.until, prefix=access.scope or "", dedicated=area.code,
                        department=narrowed)
    else:
        sel = Selection(period.since, period.until, prefix=area.code, department=narrowed)
    key = area.code if level is not None else ""
    breakdowns = parse_by(params)
    own = by_area(sel, level).get(key, Figures())
    body: dict[str, Any] = {"area": {"code": area.code, "name": area.name, "level": area.level},
                            "period": period.as_dict(), "figures": own.as_api(),
                            "compare": comparisons(sel, level, key, own),
                            "desk": desk.desk_figures(sel, own.closed, key, level)}
    if params.get("children") in {"1", "true", "yes"}:
        body["children"] = child_figures(area, period, narrowed)
    if breakdowns:
        body["by"] = {name: breakdown(sel, level, key, name) for name in breakdowns}
    children = [c["code"] for c in body.get("children", ())]
    for name, section in SECTIONS.items():
        if access.narrowed and name in CLOSED_TO_DEPARTMENTS:
            body[name] = None
        elif name in PERIODIC:
            body[name] = section(access, area, children, period=period, params=params)
        else:
            body[name] = section(access, area, children)
    return body


# ?by=: the breakdowns /api/stats adds, each the unit's figures narrowed to one value of a column.
BREAKDOWNS = {"class": "categories", "subclass": "subcategories", "source": "sources", "severity": "severities",
              "department": ""}


BY_RE = re.compile(r"^({names})(,({names}))*$".format(names="|".join(BREAKDOWNS)))


def parse_by(params: Mapping[str, Any]) -> list[str]:
    """?by=class,source,…: which breakdowns to add (none by default: each costs a count per value)."""
    raw = params.get("by") or ""
    if not raw:  # absent or empty (?by=): no breakdown, as an empty children= is no children
        return []
    if not BY_RE.fullmatch(raw):
        raise InvalidInput(f"by: expected a comma-separated list of {', '.join(BREAKDOWNS)}, got {raw!r}",
                           field="by")
    return list(dict.fromkeys(raw.split(",")))


def comparisons(sel: Selection, level: int | None, key: str, own: Figures) -> dict[str, Any]:
    """The unit's figures for the previous period (环比) and the same period a year before (同比), with each
    figure's change (layers/figures/compare.py says which periods those are)."""
    out = {}
    for kind in compare.KINDS:
        since, until = compare.period_of(kind, sel.since, sel.until)
        before = kept.by_area(replace(sel, since=since, until=until), level).get(key, Figures())
        out[kind] = compare.as_api(own, before, since, until)
    return out


def _values(sel: Selection, name: str) -> list[str]:
    """The values a breakdown lists: every choice of a class, source or severity; the sub-classes that
    occur in the unit's cohort this period or a year before."""
    if name == "class":
        return [c for c, _ in Incident.Category.choices]
    if name == "source":
        return [c for c, _ in Incident.Source.choices]
    if name == "severity":
        return [c for c, _ in Incident.Severity.choices]
    since, until = compare.year_before(sel.since, sel.until)
    rows = sql.rows(f"""
        SELECT DISTINCT subcategory FROM layers_incident
        WHERE grid_code LIKE %(prefix)s{county_sql('county_code', sel.prefix)} AND subcategory <> ''
          AND ((reported_at >= %(since)s AND reported_at < %(until)s)
               OR (reported_at >= %(y_since)s AND reported_at < %(y_until)s))
        ORDER BY 1""", {"prefix": sel.prefix + "%", "since": sel.since, "until": sel.until,
                        "y_since": since, "y_until": until})
    return [r["subcategory"] for r in rows]


def breakdown(sel: Selection, level: int | None, key: str, name: str) -> list[dict[str, Any]]:
    """One breakdown: per value, the unit's figures and their comparisons (department: the desk's
    per-department figures of the three periods, /api/stats/departments' lines)."""
    if name == "department":
        return _department_breakdown(sel)
    out = []
    for value in _values(sel, name):
        narrowed = replace(sel, **{BREAKDOWNS[name]: (value,)})
        own = by_area(narrowed, level).get(key, Figures())
        out.append({"value": value, "figures": own.as_api(), "compare": comparisons(narrowed, level, key, own)})
    return out


def _department_breakdown(sel: Selection) -> list[dict[str, Any]]:
    periods = {kind: compare.period_of(kind, sel.since, sel.until) for kind in compare.KINDS}
    now = desk.departments(sel)
    before = {kind: {r["code"]: r for r in desk.departments(replace(sel, since=a, until=b))}
              for kind, (a, b) in periods.items()}
    counts = ("received", "closed", "closed_on_time", "returned")
    out = []
    for row in now:
        entry = dict(row, compare={})
        for kind, (a, b) in periods.items():
            old = before[kind].get(row["code"])
            change = {c: {"delta": row[c] - (old[c] if old else 0),
                          "ratio": round((row[c] - old[c]) / old[c], 4) if old and old[c] else None}
                      for c in counts}
            for r in ("closure_rate", "on_time_rate"):
                was = old[r] if old else None
                change[r] = {"delta": None if was is None or row[r] is None else round(row[r] - was, 4),
                             "ratio": None}
            entry["compare"][kind] = {"period": {"since": iso(a), "until": iso(b)},
                                      "figures": {c: (old[c] if old else 0) for c in counts}
                                      | {r: (old[r] if old else None) for r in ("closure_rate", "on_time_rate")},
                                      "change": change}
        out.append(entry)
    return out


def department_of(access: Access) -> str:
    """The department a department account's figures are narrowed to ('' for everyone else)."""
    return access.department_code if access.narrowed else ""


def child_figures(area: Area, period: Period, department: str = "") -> list[dict[str, Any]]:
    """Each child unit's figures from one grouped query (dedicated grids are not children here: their
    incidents are counted in the basic grid that also holds them), with its desk figures."""
    level = child_level(area.code)
    if level is None:
        return []
    sel = Selection(period.since, period.until, prefix=area.code, department=department)
    by_unit = by_area(sel, level)
    before = {}
    for kind in compare.KINDS:
        since, until = compare.period_of(kind, sel.since, sel.until)
        before[kind] = (since, until, kept.by_area(replace(sel, since=since, until=until), level))
    supervised = desk.supervision(sel, level)
    escalated = desk.escalation(sel, level)
    mediated = desk.mediation(sel, level)
    out = []
    for child in Area.objects.current().filter(parent=area, level=level).order_by("code"):
        figures = by_unit.get(child.code, Figures())
        out.append({"code": child.code, "name": child.name, "figures": figures.as_api(),
                    "compare": {kind: compare.as_api(figures, rows.get(child.code, Figures()), since, until)
                                for kind, (since, until, rows) in before.items()},
                    "desk": {"supervision": supervised.get(child.code, dict(desk.EMPTY_SUPERVISION)),
                             "escalation": desk.resolved_levels(figures.closed, escalated.get(child.code, {})),
                             "mediation": mediated.get(child.code, dict(desk.EMPTY_MEDIATION))}})
    return out


def department_figures(access: Access, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET /api/stats/departments?area=&since=&until=: each department's received, closed, on-time and
    returned matters of the unit's cohort, ranked (closure rate, then on-time rate). A department
    account sees its own department's line only."""
    code = params.get("area") or access.scope
    if code is None:
        area_code = ""
        area_body = None
    else:
        area = get_area(code, access.scope)
        area_code = area.code
        area_body = {"code": area.code, "name": area.name, "level": area.level}
    period = parse_period(params)
    sel = Selection(period.since, period.until, prefix=area_code, department=department_of(access))
    rows = desk.departments(sel)
    if access.narrowed:
        rows = [r for r in rows if r["code"] == access.department_code]
    return {"area": area_body, "period": period.as_dict(), "departments": rows}


def worker_figures(access: Access, employee_no: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET /api/stats/workers/<employee_no>: the figures of the incidents assigned to a worker."""
    worker = Worker.objects.within(access.scope).filter(employee_no=employee_no).first()
    if worker is None:
        raise NotFound(f"no worker {employee_no}")
    period = parse_period(params)
    sel = Selection(period.since, period.until, prefix=access.scope or "", assignee_id=worker.pk,
                    department=department_of(access))
    return {"worker": {"employee_no": worker.employee_no, "name": worker.name, "role": worker.role},
            "period": period.as_dict(), "figures": by_area(sel, None).get("", Figures()).as_api()}

