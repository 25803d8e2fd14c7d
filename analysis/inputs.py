"""The safety index's inputs: a registry, one entry per input.

Each input is a ratio of two sums per village and month, `numerator ÷ denominator × scale`, so a
township's, the county's, a city's or a province's value is the ratio of its villages' sums (every figure adds up: see
docs/figures.md), never a mean of ratios. The numbers come from the figures' one home:

    counts per month   layers.figures.counts (counts_sql / by_area): intake by class, overdue, closed,
                       on time, each month's cohort taken as of that month's end (or now)
    desk figures       layers.figures.desk: mediation success, supervised matters
    patrol coverage    field.coverage: buildings passed within 30 m by the month's tracks ÷ buildings
    residents          the people rollup's population of the village (people/counts.py: people with a
                       current room there), as /api/stats and the people layer show it (docs/figures.md)

Why fixed anchors (`good`, `bad` in the weight table) rather than each month's peers' min and max:
with min-max a village's score moves when another village changes, a township leader's view would
differ from the county's, and last year's score would move when this year's data arrive; with fixed
anchors a score depends on the unit's own figures and the version's table alone, and can be checked
by hand (docs/analysis.md). The anchors are versioned with the weights.

Adding an input (issues 18: key-group follow-ups; 19: patrol coverage) is one `register(Input(...))`
call in the issue's own app (its AppConfig.ready()), with a `fetch(ctx)` returning
{(village code, month): (numerator, denominator)}; it counts from the first weight version that
gives it a weight (earlier months keep their weights, so history does not move).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from geo import sql
from layers.figures import desk
from layers.figures.counts import LEVEL_LENGTH, Figures, Selection, by_area, counts_sql, local_midnight
from people.counts import population_under

VILLAGE = 3  # the rollup level the inputs are counted at; townships and the county are their sums

Parts = dict[tuple[str, dt.date], tuple[float, float]]


def next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


@dataclass
class Context:
    """What the inputs of one computation share: the area prefix (a unit's code), the months, and the
    queries more than one input reads (each run once)."""

    prefix: str
    months: list[dt.date]
    _cache: dict = field(default_factory=dict)

    def memo(self, key, compute: Callable):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def selection(self, month: dt.date, **narrowing) -> Selection:
        """The month's cohort under the prefix: reported in [month, next month), taken at its end or now."""
        return Selection(since=local_midnight(month), until=local_midnight(next_month(month)), prefix=self.prefix,
                         **narrowing)

    def residents(self) -> dict[str, int]:
        """Residents per village (the people rollup's population)."""
        return self.memo("residents", lambda: residents(self.prefix))

    def figures(self, month: dt.date) -> dict[str, Figures]:
        """{village: Figures} of one month's cohort, as of the month's end (counts.by_area)."""
        return self.memo(("figures", month), lambda: by_area(self.selection(month), VILLAGE))

    def intake(self, categories: tuple[str, ...] = (), severities: tuple[str, ...] = ()
               ) -> dict[tuple[str, dt.date], int]:
        """{(village, month): intake} of a class (and severity) over all the months, one statement
        (counts_sql by month: intake does not depend on the moment taken)."""
        def compute():
            first, end = self.months[0], next_month(self.months[-1])
            sel = Selection(since=local_midnight(first), until=local_midnight(end), prefix=self.prefix,
                            categories=categories, severities=severities)
            cte, params = counts_sql(sel, VILLAGE, bucket="month", light=True)
            return {(r["area_code"], r["bucket"]): r["intake"]
                    for r in sql.rows(f"WITH {cte} SELECT area_code, bucket, intake FROM counts", params)}
        return self.memo(("intake", categories, severities), compute)


def residents(prefix: str) -> dict[str, int]:
    """Residents per village under a prefix: the people rollup's population (people with a current room
    in the village, people/counts.py), the same count /api/stats, the people tiles and the dashboards
    show. Not the rooms' `residents` column: that is a figure a register hands over with the addresses,
    which need not agree with the people registered in them, and two counts of one thing would let the
    index and the map disagree about a village."""
    return population_under(prefix, LEVEL_LENGTH[VILLAGE])


@dataclass(frozen=True)
class Input:
    """One input of the index. `good` and `bad` are the default anchors and `weight` the default weight
    of the first weight version (the admin's table overrides them from then on)."""

    key: str
    label: str
    unit: str  # how the value reads: "per 1,000 residents", "share"
    scale: float
    good: float
    bad: float
    weight: float
    fetch: Callable[[Context], Parts]
    source: str  # where its figure is defined

    def value(self, numerator: float, denominator: float) -> float | None:
        return numerator / denominator * self.scale if denominator else None


REGISTRY: dict[str, Input] = {}


def register(item: Input) -> Input:
    """Add an input (one call per input; the key is what weight rows name)."""
    if item.key in REGISTRY and REGISTRY[item.key] != item:
        raise ValueError(f"input {item.key!r} is registered twice")
    REGISTRY[item.key] = item
    return item


# ----------------------------------------------------------------------------------------- built-in inputs

def per_residents(categories: tuple[str, ...], severities: tuple[str, ...] = ()) -> Callable[[Context], Parts]:
    """Incidents of a class (and severity) per resident (scaled to per 1,000 by the input)."""
    def fetch(ctx: Context) -> Parts:
        people = ctx.residents()
        counts = ctx.intake(categories, severities)
        codes = set(people) | {code for code, _month in counts}
        return {(code, month): (counts.get((code, month), 0), people.get(code, 0))
                for code in codes for month in ctx.months}
    return fetch


def from_figures(part: Callable[[Figures], float], whole: Callable[[Figures], float]) -> Callable[[Context], Parts]:
    """A ratio of two fields of each month's Figures (counts.by_area)."""
    def fetch(ctx: Context) -> Parts:
        out: Parts = {}
        for month in ctx.months:
            for code, f in ctx.figures(month).items():
                out[(code, month)] = (part(f), whole(f))
        return out
    return fetch


def mediation_success(ctx: Context) -> Parts:
    """Mediations that reached an agreement ÷ mediations referred (desk.mediation, its success_rate)."""
    out: Parts = {}
    for month in ctx.months:
        for code, m in desk.mediation(ctx.selection(month), VILLAGE).items():
            out[(code, month)] = (m["succeeded"], m["referred"])
    return out


def supervised_share(ctx: Context) -> Parts:
    """Matters under supervision (督办, listed included; desk.supervision) ÷ the month's intake."""
    out: Parts = {}
    for month in ctx.months:
        figures = ctx.figures(month)
        supervised = desk.supervision(ctx.selection(month), VILLAGE)
        for code, f in figures.items():
            out[(code, month)] = (supervised.get(code, {}).get("supervised", 0), f.intake)
    return out


def followups_on_cadence(ctx: Context) -> Parts:
    """Key-group tags on cadence at the month's end (or now) ÷ the tags open then, where each person lived
    then (people_key_followups, people/sql/functions/30_followups.sql: the same definition /api/stats
    reads as `people.follow_ups`). Read in SQL: analysis sits beside people, not on it."""
    now = timezone.now()
    # The month's last instant: its last day is the day counted (a tag beginning on the 1st of the next month
    # is not yet open).
    ats = [min(local_midnight(next_month(m)) - dt.timedelta(microseconds=1), now) for m in ctx.months]
    return {(r["code"], r["month"]): (float(r["on_cadence"]), float(r["open"])) for r in sql.rows("""
        SELECT m.month, left(k.grid_code, 12) AS code, sum(k.key_persons - k.overdue) AS on_cadence,
               sum(k.key_persons) AS open
        FROM unnest(%(months)s::date[], %(ats)s::timestamptz[]) AS m(month, at)
        CROSS JOIN LATERAL people_key_followups(%(p)s, m.at, NULL) AS k
        GROUP BY 1, 2""", {"months": list(ctx.months), "ats": ats, "p": ctx.prefix})}


def overdue_part(f: Figures) -> float:
    return f.overdue


# Default anchors: about the 10th (good) and 90th (bad) percentiles of the villages' monthly values in
# full-scale demo 济源 (1,000,000 incidents, 726,735 residents, 2024-12..2026-11), rounded; see
# docs/analysis.md. A county calibrates its own in a new weight version.
CLASSES = (("dispute", "disputes 矛盾纠纷", 5.0, 30.0), ("petition", "petitions 信访", 0.5, 8.0),
           ("safety_hazard", "safety hazards 安全隐患", 1.0, 16.0),
           ("livelihood", "livelihood requests 民生诉求", 3.0, 25.0))

for _key, _label, _good, _bad in CLASSES:
    register(Input(f"rate_{_key}", f"{_label} per 1,000 residents", "per 1,000 residents", 1000, _good, _bad,
                   1.0 if _key != "livelihood" else 0.5, per_residents((_key,)),
                   f"intake of class {_key} (counts.py) ÷ residents"))
register(Input("rate_major", "major disputes and petitions (larger/major) per 1,000 residents", "per 1,000 residents",
               1000, 0.5, 10.0, 1.5, per_residents(("dispute", "petition"), ("larger", "major")),
               "intake of disputes and petitions of severity larger or major (counts.py) ÷ residents"))
register(Input("overdue_share", "overdue share", "share", 1, 0.0, 0.2, 1.5,
               from_figures(overdue_part, lambda f: f.intake), "overdue ÷ intake (figures_overdue)"))
register(Input("closure_rate", "closure rate", "share", 1, 1.0, 0.8, 1.0,
               from_figures(lambda f: f.closed, lambda f: f.intake), "closed ÷ intake (figures_closed)"))
register(Input("on_time_rate", "on-time rate", "share", 1, 1.0, 0.8, 1.0,
               from_figures(lambda f: f.on_time, lambda f: f.closed), "on time ÷ closed (figures_on_time)"))
register(Input("mediation_success", "mediation success", "share", 1, 0.8, 0.3, 1.0, mediation_success,
               "desk_mediation_succeeded ÷ referred (desk.mediation)"))
register(Input("supervised_share", "supervised matters (督办) share of intake", "share", 1, 0.0, 0.1, 0.5,
               supervised_share, "supervised (desk.supervision) ÷ intake"))
# Issue 18: 95 % of key persons on cadence or better scores 100 (demo 济源's villages: median 100 %, p10 about
# 94 %, see docs/analysis.md); at 70 % or worse a unit has lost hold of its list.
register(Input("followups_on_cadence", "key-group follow-ups on cadence 重点人员按期走访", "share", 1, 0.95, 0.7, 1.0,
               followups_on_cadence, "key-group tags not overdue for follow-up ÷ tags open, at the month's end "
                                     "(people_key_followups)"))


def patrol_coverage(ctx: Context) -> Parts:
    """The share of a village's buildings that patrol tracks passed within 30 m in the month (issue 19;
    field/coverage.py defines it and reads the rollup). Months in which nobody in the county uploaded a
    track have no value (the input is left out, not scored 0)."""
    from field.coverage import village_months

    return {key: (float(a), float(b)) for key, (a, b) in
            village_months(ctx.prefix, ctx.months[0], next_month(ctx.months[-1])).items()}


# Anchors: a village whose tracks pass 80 % of its buildings in a month scores 100, 30 % or less 0 (full-scale
# demo 济源's season: villages' monthly shares mostly 0.6-1.0; a grid never walked is 0). Weight 1 from 2026-12
# (analysis/migrations/0100_patrol_coverage.py).
register(Input("patrol_coverage", "patrol coverage (buildings passed within 30 m)", "share", 1, 0.8, 0.3, 1.0,
               patrol_coverage, "field_buildingpass ÷ buildings (field/coverage.py, field_passes)"))


# The units a village's parts are summed into: province (2 digits), city (4), county (6), township (9) and the
# village itself (12). A city's or province's value is the ratio of its villages' sums, like a county's: the
# formula on summed counts, never a mean of its counties' ratios or scores (docs/analysis.md).
UNIT_LENGTHS = (2, 4, 6, 9, 12)


def gather(ctx: Context, keys: list[str]) -> dict[str, dict[tuple[str, dt.date], list[float]]]:
    """{input: {(unit code, month): [numerator, denominator]}} for every village, township, county, city and
    province under the prefix (villages' parts summed into each unit above them)."""
    out: dict[str, dict[tuple[str, dt.date], list[float]]] = {}
    for key in keys:
        summed: dict[tuple[str, dt.date], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for (code, month), (num, den) in REGISTRY[key].fetch(ctx).items():
            for n in UNIT_LENGTHS:
                cell = summed[(code[:n], month)]
                cell[0] += num
                cell[1] += den
        out[key] = summed
    return out
