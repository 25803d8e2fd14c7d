"""What a report says, gathered before anything is laid out: the unit's figures with their comparisons,
its child units ranked, its breakdown by class, its worst-overdue matters, its map's shapes, and the
safety index and early warnings of the analysis app.

Every figure comes from layers.figures (counts.py adds them up, compare.py says which periods the
previous period and the year before are), the same as /api/stats and the dashboards, so a printed
report and the screen cannot disagree. The caller's scope has been checked by the view (get_area); a
department account's figures and matters are narrowed to its department as on every other path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q
from django.utils import timezone, translation
from shapely import wkb

from geo import sql
from geo.access import Access
from grids.models import Area
from layers.dashboards.i18n import CLASSES, TEXT, choice
from layers.desk.scope import visible
from layers.figures import compare
from layers.figures.counts import Figures, Selection, by_area, child_level, unit_level
from layers.figures.stats import department_of
from layers.models import Incident
from reports import analysis
from reports.periods import ReportPeriod

# (key, Figures attribute, kind, higher is better): the KPI table's rows, in the order leaders read them.
KPIS = [
    ("intake", "intake", "count", None),
    ("closed", "closed", "count", True),
    ("open", "open", "count", False),
    ("overdue", "overdue", "count", False),
    ("accept_overdue", "accept_overdue", "count", False),
    ("closure_rate", "closure_rate", "rate", True),
    ("on_time_rate", "on_time_rate", "rate", True),
    ("satisfaction", "satisfaction_rate", "rate", True),
    ("hours_to_close", "hours_to_close", "hours", False),
]
WORST_OVERDUE = 15  # matters listed
PERSONAL = ("reporter_name", "reporter_phone")  # the personal fields a report may show (with the right)


@dataclass(frozen=True)
class Compared:
    """A unit's figures in the period, the previous period and the same period a year before."""

    now: Figures
    previous: Figures
    year_before: Figures


@dataclass(frozen=True)
class MapArea:
    code: str
    name: str
    is_unit: bool
    shape: Any  # shapely geometry, Web Mercator metres
    label: tuple[float, float]
    value: float | None  # what the choropleth colours


@dataclass
class Report:
    area: Area
    period: ReportPeriod
    as_of: dt.datetime
    periods: dict[str, tuple[dt.datetime, dt.datetime]]
    unit: Compared
    children: list[tuple[Area, Compared]]
    classes: list[tuple[str, Compared]]
    overdue: list[dict[str, Any]]
    personal: bool
    map_areas: list[MapArea]
    map_measure: str  # the label of what the map colours
    index: Any = None  # analysis' Score of the unit, when the analysis app answers
    index_children: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    more_warnings: int = 0  # warnings found beyond those listed
    index_year_before: Any = None  # the unit's Score for the same period a year before (同比)
    index_months: list = field(default_factory=list)  # a quarter's or year's months, one Score each
    analysis_note: str = ""  # why the index and warnings are left out (a department's report)
    department: str = ""  # the department a report is narrowed to ("" for everyone else)


def _compared(sel: Selection, level: int | None, periods: dict) -> dict[str, Compared]:
    """{area key: Compared} for the selection's areas of `level`: three counts in all."""
    now = by_area(sel, level)
    before = {kind: by_area(replace(sel, since=a, until=b), level) for kind, (a, b) in periods.items()}
    keys = set(now) | set(before["previous"]) | set(before["year_before"])
    return {k: Compared(now.get(k, Figures()), before["previous"].get(k, Figures()),
                        before["year_before"].get(k, Figures())) for k in keys}


def gather(access: Access, area: Area, period: ReportPeriod) -> Report:
    """Everything the report of `area` for `period` shows, for this caller."""
    department = department_of(access)
    sel = Selection(period.since, period.until, prefix=area.code, department=department)
    periods = {kind: compare.period_of(kind, period.since, period.until) for kind in compare.KINDS}
    level = unit_level(area.code)
    key = area.code if level is not None else ""
    if level is None:  # a dedicated grid: its incidents are those placed in it
        sel = replace(sel, prefix=access.scope or "", dedicated=area.code)
    unit = _compared(sel, level, periods).get(key, Compared(Figures(), Figures(), Figures()))

    children: list[tuple[Area, Compared]] = []
    kid_level = child_level(area.code) if level is not None else None
    if kid_level is not None:
        by_child = _compared(sel, kid_level, periods)
        empty = Compared(Figures(), Figures(), Figures())
        children = [(child, by_child.get(child.code, empty))
                    for child in Area.objects.current().filter(parent=area, level=kid_level).order_by("code")]

    classes = []
    for value, _label in Incident.Category.choices:
        narrowed = replace(sel, categories=(value,))
        classes.append((value, _compared(narrowed, level, periods).get(key, Compared(Figures(), Figures(),
                                                                                        Figures()))))
    as_of = min(period.until, timezone.now())
    values = {child.code: c.now.intake for child, c in children}
    report = Report(area=area, period=period, as_of=as_of, periods=periods, unit=unit, children=children,
                    classes=classes, overdue=worst_overdue(access, area, as_of), personal=access.personal_data,
                    map_areas=map_areas(area, values), map_measure=str(TEXT["intake"]),
                    department=department or "")
    _add_analysis(report, access)
    return report


def worst_overdue(access: Access, area: Area, at: dt.datetime) -> list[dict[str, Any]]:
    """The unit's matters open and overdue at `at`, longest overdue first: what a leader chases. Personal
    fields only for a caller with the personal-data right (the view audits that read)."""
    rows = (visible(access, Incident.objects.within(area.code))
            .filter(Incident.objects.overdue_q(at), reported_at__lt=at)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=at))
            .select_related("grid").order_by("due_at", "pk")[:WORST_OVERDUE])
    out = []
    for incident in rows:
        entry = {"id": incident.pk, "incident": incident,
                 "category": str(CLASSES.get(incident.category, incident.category)),
                 "subcategory": incident.subcategory, "grid": incident.grid.name if incident.grid else "",
                 "reported": timezone.localtime(incident.reported_at).date(),
                 "due": timezone.localtime(incident.due_at).date(),
                 "days_overdue": (at - incident.due_at).days,
                 "status": choice(incident.get_status_display(), translation.get_language() or "zh-hans"),
                 "department": incident.department}
        if access.personal_data:
            entry.update({name: getattr(incident, name) for name in PERSONAL})
        out.append(entry)
    return out


def map_areas(area: Area, values: dict[str, float]) -> list[MapArea]:
    """The unit and its child units' shapes for the map, simplified to about a thousandth of its width
    (below a printed A4 map's resolution, so a township's villages cost kilobytes, not megabytes)."""
    extent = sql.rows(sql.load("reports", "map_extent"), {"code": area.code})
    if not extent or extent[0]["xmin"] is None:
        return []
    e = extent[0]
    tolerance = max(e["xmax"] - e["xmin"], e["ymax"] - e["ymin"]) / 1500
    out = []
    for r in sql.rows(sql.load("reports", "map_areas"), {"code": area.code, "tolerance": tolerance}):
        out.append(MapArea(r["code"], r["name"], r["is_unit"], wkb.loads(bytes(r["shape"])),
                           (r["label_x"], r["label_y"]), values.get(r["code"])))
    return out


def _add_analysis(report: Report, access: Access) -> None:
    """The safety index of the unit and its children and the unit's early warnings (reports.analysis)."""
    analysis.add_to(report, access)
