"""Three-zero units (三零创建: no petition escalated upward, no safety accident, no criminal case): the
Python API.

    status(unit, year, ytd=False, scope=None)   [Unit] for the unit and every unit under it down to the
                                                villages; `broken` names the first matter that broke
                                                each criterion and when
    per_township(units)                         {township: (three-zero villages, villages)}
    per_child(units, length)                    the same per county (6) or city (4)

The criteria are the administrator's rule set (analysis.models.ThreeZeroRule): a rule is a filter on a
matter's class, severity, sub-class and source, and optionally on how high it was escalated (the
desk's escalations, ranked by `desk_level_rank`, layers/figures/sql/functions/30_desk.sql). A unit is
three-zero for a period when no matter reported in it during the period matches an active rule
(escalations counted up to the period's end). The period is the calendar year, or with `ytd` the
year to today (the same for a past year); local days (GRIDMAP_TIME_ZONE).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.models import ThreeZeroRule
from geo import sql
from geo.errors import InvalidInput
from geo.kept import Keeper
from geo.scope import incident_scope
from grids.models import Area, get_area
from layers.figures.counts import local_midnight
from layers.incidents.represent import iso

LEVEL_RANK = {"village": 1, "township": 2, "county": 3}


@dataclass(frozen=True)
class Break:
    criterion: str
    rule: str
    incident: int
    reported_at: str
    category: str
    subcategory: str
    severity: str
    grid: str


@dataclass
class Unit:
    code: str
    name: str
    level: int
    period: str  # "2026" or "2026 YTD"
    since: str
    until: str
    three_zero: bool = True
    broken: list[Break] = field(default_factory=list)  # the first breaking matter of each criterion

    def sentence(self) -> str:
        if self.three_zero:
            return _("{name}: a three-zero unit for {period}").format(name=self.name, period=self.period)
        parts = "; ".join(_("{criterion} broken by matter #{id} of {day}").format(
            criterion=ThreeZeroRule.Criterion(b.criterion).label, id=b.incident, day=b.reported_at[:10])
            for b in self.broken)
        return _("{name}: not three-zero for {period}: {parts}").format(name=self.name, period=self.period,
                                                                        parts=parts)

    def as_dict(self) -> dict:
        return {**asdict(self), "sentence": self.sentence()}


def period_of(year: int, ytd: bool) -> tuple[dt.date, dt.date]:
    """[first day, day after the last) of the year or the year to date."""
    today = timezone.localdate()
    if year > today.year or year < 1900:
        raise InvalidInput(_("year: {year} has not begun").format(year=year) if year > today.year
                           else _("year: out of range"), field="year")
    end = dt.date(year + 1, 1, 1)
    if ytd and year == today.year:
        end = today + dt.timedelta(days=1)
    return dt.date(year, 1, 1), end


def _rule_sql(rule: ThreeZeroRule, n: int) -> tuple[str, dict]:
    conds, params = [], {}
    for name, column in (("categories", "category"), ("severities", "severity"), ("subcategories", "subcategory"),
                         ("sources", "source")):
        values = getattr(rule, name)
        if values:
            conds.append(f"i.{column} = ANY(%(r{n}_{name})s)")
            params[f"r{n}_{name}"] = list(values)
    if rule.min_escalation:
        conds.append(f"EXISTS (SELECT 1 FROM layers_escalation e WHERE e.incident_id = i.id AND e.at < %(t_until)s "
                     f"AND desk_level_rank(e.level) >= %(r{n}_rank)s)")
        params[f"r{n}_rank"] = LEVEL_RANK[rule.min_escalation]
    return " AND ".join(conds) or "TRUE", params


def breaking(prefix: str, since: dt.date, until: dt.date) -> dict[str, list[Break]]:
    """{village code: the first matter of each criterion that broke it} under a prefix, in [since, until)."""
    rules = list(ThreeZeroRule.objects.filter(active=True))
    if not rules:
        return {}
    params = {"t_prefix": prefix + "%", "t_since": local_midnight(since), "t_until": local_midnight(until)}
    selects = []
    for n, rule in enumerate(rules):
        cond, extra = _rule_sql(rule, n)
        params.update(extra)
        params[f"r{n}_id"] = rule.pk
        selects.append(f"""
            SELECT DISTINCT ON (left(i.grid_code, 12)) left(i.grid_code, 12) AS village, %(r{n}_id)s AS rule_id,
                   i.id, i.reported_at, i.category, i.subcategory, i.severity, i.grid_code
            FROM layers_incident i
            WHERE {incident_scope('i', 't_prefix', prefix)} AND length(i.grid_code) >= 12
              AND i.reported_at >= %(t_since)s AND i.reported_at < %(t_until)s AND {cond}
            ORDER BY left(i.grid_code, 12), i.reported_at, i.id""")
    by_id = {r.pk: r for r in rules}
    first: dict[tuple[str, str], Break] = {}
    for row in sql.rows(" UNION ALL ".join(f"({s})" for s in selects), params):
        rule = by_id[row["rule_id"]]
        item = Break(rule.criterion, rule.name, row["id"], iso(row["reported_at"]), row["category"],
                     row["subcategory"], row["severity"], row["grid_code"])
        key = (row["village"], rule.criterion)
        if key not in first or (item.reported_at, item.incident) < (first[key].reported_at, first[key].incident):
            first[key] = item
    out: dict[str, list[Break]] = {}
    for (village, _criterion), item in sorted(first.items()):
        out.setdefault(village, []).append(item)
    return out


def status(unit: str, year: int, *, ytd: bool = False, scope: str | None = None) -> list[Unit]:
    """The unit and each unit under it down to the villages (code order), three-zero or not for the period.

    A township, county, city or province is judged from its villages: three-zero when every village under
    it is (so a city is three-zero when all its counties are), its first break per criterion the earliest
    of theirs. One statement finds every village's breaks under the unit (`breaking`), whatever its level.
    An ancestor of the caller's scope is not inside it (NotFound)."""
    area = get_area(unit, scope)
    if area.level > 3:
        raise InvalidInput(_("code: three-zero units are provinces, cities, counties, townships and villages"),
                           field="code")
    since, until = period_of(year, ytd)
    label = f"{year} YTD" if ytd else str(year)
    last = until - dt.timedelta(days=1)
    # Each village's breaks carried up to every unit above it inside the asked unit: one pass over the breaks,
    # where matching every unit against every broken village grew with their product.
    firsts: dict[str, dict[str, Break]] = {}
    for village, items in breaking(area.code, since, until).items():
        for n in UNIT_LENGTHS:
            if n >= len(area.code):
                _earliest(firsts.setdefault(village[:n], {}), items)
    units = Area.objects.current().within(area.code).filter(level__lte=3).order_by("code")
    out = []
    for code, name, level in units.values_list("code", "name", "level"):
        found = firsts.get(code, {})
        out.append(Unit(code, name, level, label, since.isoformat(), last.isoformat(), not found,
                        [found[c] for c in sorted(found)]))
    return out


UNIT_LENGTHS = (2, 4, 6, 9, 12)  # province, city, county, township, village


def _earliest(found: dict[str, Break], items: list[Break]) -> None:
    """Keep in `found` the first break of each criterion among `items` and what it holds."""
    for b in items:
        if b.criterion not in found or (b.reported_at, b.incident) < (found[b.criterion].reported_at,
                                                                      found[b.criterion].incident):
            found[b.criterion] = b


def per_township(units: list[Unit]) -> dict[str, dict[str, int]]:
    """{township code: {"three_zero": villages that are, "villages": villages}} from status()'s answer."""
    return per_child(units, 9)


def per_child(units: list[Unit], length: int) -> dict[str, dict[str, int]]:
    """{unit code of `length` digits: {"three_zero": its villages that are, "villages": its villages}} from
    status()'s answer: per township (9), per county (6) on a city's page, per city (4) on a province's."""
    out: dict[str, dict[str, int]] = {}
    for u in units:
        if u.level == 3:
            cell = out.setdefault(u.code[:length], {"three_zero": 0, "villages": 0})
            cell["villages"] += 1
            cell["three_zero"] += int(u.three_zero)
    return out


# Per process: every unit's verdict under a prefix for a year, for the map's tiles, the panels and the
# export layer (a tile is drawn for many (z, x, y) of the same year; a county's verdicts take ~0.5 s at
# full scale). A verdict changes only with a new matter that breaks a unit, so it is kept 10 minutes.
_VERDICTS = Keeper("three-zero verdicts", 600.0)


def verdicts(prefix: str, year: int, *, ytd: bool = False) -> dict[str, Unit]:
    """{code: Unit} of every unit (province to village) under `prefix` ("" for all) for the year, kept 10
    minutes in this process. No scope check: the caller has folded the scope into `prefix`
    (the tiles, the export layer) or checked the unit with get_area (the panels)."""
    def compute() -> dict[str, Unit]:
        if prefix:
            roots = [prefix]
        else:  # the tops of the tree: provinces, or counties loaded without one (one county alone)
            roots = list(Area.objects.current().filter(parent__isnull=True, level__lte=1).order_by("code")
                         .values_list("code", flat=True))
        out: dict[str, Unit] = {}
        for root in roots:
            for u in status(root, year, ytd=ytd):
                if u.code.startswith(prefix):
                    out[u.code] = u
        return out

    return _VERDICTS.get((prefix, year, ytd), compute)


def forget() -> None:
    """Drop the kept verdicts (tests; an edit of the rules)."""
    _VERDICTS.forget()
