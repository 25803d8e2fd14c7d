"""The monthly safety index (平安指数) of villages, townships and the county: the Python API.

    scores(unit, months, scope=None)    [Score] for one unit, one per month (the trend line)
    period_score(unit, period, scope)   Score of a month "2026-07", a quarter "2026-Q3" or a year "2026"
    ranking(unit, period, scope)        [Score] of the unit's child units, best first, with rank
    compute(prefix, months)             {(code, month): Score} for every village, township, county, city
                                        and province under a prefix (the bench, the choropleth)

A unit is an area code (province 2 digits, city 4, county 6, township 9, village 12); `scope` is the caller's area scope
(Access.scope): a unit outside it is a NotFound (404), never a leak. A month is the date of its first
day. Each Score carries its breakdown (`parts`): every input's value, sub-score, weight, the points it
contributed and the points it lost, so "why is this township amber" is the parts sorted by `lost`.

The formula (docs/analysis.md): for a unit and month, with the weight version in force in that month,
for each input i with weight w_i > 0 whose value v_i is defined (its denominator is not 0):

    s_i = 100 × clamp((bad_i − v_i) / (bad_i − good_i), 0, 1)        sub-score, 100 = safest
    score = Σ w_i s_i / Σ w_i                                          over the defined inputs
    points_i = w_i s_i / Σ w_i      lost_i = w_i (100 − s_i) / Σ w_i   (Σ points_i = score)

Band: green at or above the version's green_at, amber at or above amber_at, red below. A quarter's or
a year's score is the mean of its months' scores (each month with its own weights), and each input's
points the mean of its monthly points, so a roll-up's points still add up to its score.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.inputs import REGISTRY, Context, gather
from analysis.models import WeightVersion
from geo.errors import InvalidInput
from geo.kept import Keeper
from grids.models import Area, get_area

MAX_MONTHS = 120
PERIOD_RE = re.compile(r"^(?P<year>(?:19|20|21)[0-9]{2})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")


@dataclass(frozen=True)
class Part:
    """One input's share of a score."""

    key: str
    label: str
    unit: str
    value: float | None  # the input's value (a rate or a share); None: not defined for the unit (no denominator)
    sub_score: float | None
    weight: float
    points: float  # contributed to the score
    lost: float  # of the 100 the input could have given, lost


@dataclass(frozen=True)
class Score:
    code: str
    name: str
    level: int
    period: str  # "2026-07", "2026-Q3", "2026"
    score: float | None
    band: str | None  # green / amber / red
    version: str  # the weight version's first month ("2026-01"), for a roll-up the last month's
    parts: list[Part] = field(default_factory=list)
    rank: int | None = None

    def why(self) -> str:
        """One sentence: the score, its band, and the inputs that lost the most points."""
        if self.score is None:
            return _("{name} {period}: no index (no input has a value)").format(name=self.name, period=self.period)
        worst = [p for p in sorted(self.parts, key=lambda p: -p.lost) if p.lost >= 0.5][:3]
        reasons = "; ".join(_("{label} {value} (−{lost:.1f})").format(
            label=p.label, value=_fmt(p.value, p.unit), lost=p.lost) for p in worst)
        return _("{name} {period}: {score:.1f} ({band}); points lost mostly to: {reasons}").format(
            name=self.name, period=self.period, score=self.score, band=self.band, reasons=reasons or _("nothing"))

    def as_dict(self) -> dict:
        body = asdict(self)
        for part in body["parts"]:
            part["share"] = round(part["points"] / self.score, 4) if self.score else None
            for key in ("value", "sub_score", "points", "lost"):
                if part[key] is not None:
                    part[key] = round(part[key], 4)
        body["score"] = None if self.score is None else round(self.score, 2)
        body["why"] = self.why()
        return body


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:.0%}" if unit == "share" else f"{value:.2f}‰"


# ------------------------------------------------------------------------------------------ periods

def parse_month(text: str, field_name: str = "month") -> dt.date:
    """"YYYY-MM" → its first day; 400 naming the field otherwise, or for a month after this one."""
    match = PERIOD_RE.fullmatch(text or "")
    if not match or not match["month"]:
        raise InvalidInput(_("{field}: expected a month YYYY-MM, got {value!r}").format(field=field_name, value=text),
                           field=field_name)
    month = dt.date(int(match["year"]), int(match["month"]), 1)
    _not_future([month], field_name)
    return month


def months_of(period: str, field_name: str = "period") -> list[dt.date]:
    """The months of "YYYY-MM", "YYYY-Qn" or "YYYY" (up to this month for the current quarter or year)."""
    match = PERIOD_RE.fullmatch(period or "")
    if not match:
        raise InvalidInput(_("{field}: expected YYYY-MM, YYYY-Qn or YYYY, got {value!r}").format(
            field=field_name, value=period), field=field_name)
    year = int(match["year"])
    if match["month"]:
        months = [dt.date(year, int(match["month"]), 1)]
    elif match["quarter"]:
        q = int(match["quarter"])
        months = [dt.date(year, m, 1) for m in range(3 * q - 2, 3 * q + 1)]
    else:
        months = [dt.date(year, m, 1) for m in range(1, 13)]
    current = timezone.localdate().replace(day=1)
    months = [m for m in months if m <= current]
    _not_future(months, field_name)
    return months


def month_range(since: dt.date, until: dt.date, field_name: str = "since") -> list[dt.date]:
    """The months from `since` to `until` inclusive (first days)."""
    if since > until:
        raise InvalidInput(_("{field}: {since:%Y-%m} is after {until:%Y-%m}").format(
            field=field_name, since=since, until=until), field=field_name)
    months, m = [], since
    while m <= until:
        months.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    _not_future(months, field_name)
    return months


def _not_future(months: list[dt.date], field_name: str) -> None:
    if not months or months[-1] > timezone.localdate().replace(day=1):
        raise InvalidInput(_("{field}: no index for a month that has not begun").format(field=field_name),
                           field=field_name)
    if len(months) > MAX_MONTHS:
        raise InvalidInput(_("{field}: at most {n} months at a time").format(field=field_name, n=MAX_MONTHS),
                           field=field_name)


# ------------------------------------------------------------------------------------------ weights

@dataclass(frozen=True)
class Version:
    label: str
    valid_from: dt.date
    green_at: float
    amber_at: float
    weights: dict[str, tuple[float, float, float]]  # input -> (weight, good, bad)

    def band(self, score: float | None) -> str | None:
        if score is None:
            return None
        return "green" if score >= self.green_at else "amber" if score >= self.amber_at else "red"


DEFAULT = Version("default", dt.date(1900, 1, 1), 85.0, 70.0,
                  {k: (i.weight, i.good, i.bad) for k, i in REGISTRY.items()})


def versions() -> list[Version]:
    """Every weight version, oldest first (the registry's defaults when the table is empty)."""
    out = [Version(f"{v.valid_from:%Y-%m}", v.valid_from, v.green_at, v.amber_at,
                   {w.input: (w.weight, w.good, w.bad) for w in v.weights.all()})
           for v in WeightVersion.objects.prefetch_related("weights").order_by("valid_from")]
    return out or [DEFAULT]


def version_for(month: dt.date, table: list[Version]) -> Version:
    """The version in force in `month`: the latest that began at or before it (the oldest for earlier months)."""
    chosen = table[0]
    for v in table:
        if v.valid_from <= month:
            chosen = v
    return chosen


# ------------------------------------------------------------------------------------------ the index

def score_of(parts: dict[str, dict], code: str, month: dt.date, version: Version) -> tuple[float | None, list[Part]]:
    """The formula above, for one unit and month."""
    defined = []
    for key, (weight, good, bad) in sorted(version.weights.items()):
        item = REGISTRY.get(key)
        if item is None or weight <= 0:
            continue
        num, den = parts.get(key, {}).get((code, month), (0.0, 0.0))
        value = item.value(num, den)
        sub = None if value is None else 100.0 * min(max((bad - value) / (bad - good), 0.0), 1.0)
        defined.append((item, value, sub, weight))
    total = sum(w for _i, _v, sub, w in defined if sub is not None)
    out, score = [], None
    for item, value, sub, weight in defined:
        points = weight * sub / total if sub is not None else 0.0
        lost = weight * (100.0 - sub) / total if sub is not None else 0.0
        out.append(Part(item.key, item.label, item.unit, value, sub, weight, points, lost))
    if total:
        score = sum(p.points for p in out)
    return score, out


def compute(prefix: str, months: list[dt.date]) -> dict[tuple[str, dt.date], Score]:
    """Every village, township, county, city and province under `prefix` (one of them, its code), each
    month: the one computation every reader of the index shares. A unit's score depends on its own figures
    only, so a county's is the same under its own prefix as under its city's or province's."""
    table = versions()
    keys = sorted({k for v in table for k, (w, _g, _b) in v.weights.items() if w > 0 and k in REGISTRY})
    parts = gather(Context(prefix, list(months)), keys)
    units = list(Area.objects.current().within(prefix).filter(level__lte=3).values_list("code", "name", "level"))
    if prefix and len(prefix) > 6:  # the unit's own ancestors are not under it; only the unit and below
        units = [u for u in units if u[0].startswith(prefix)]
    out = {}
    for month in months:
        version = version_for(month, table)
        for code, name, level in units:
            score, items = score_of(parts, code, month, version)
            out[(code, month)] = Score(code, name, level, f"{month:%Y-%m}", score, version.band(score),
                                       version.label, items)
    return out


def _unit(code: str, scope: str | None) -> Area:
    """The unit inside the caller's scope: a province, city, county, township or village. An ancestor of the
    scope (a county user asking for its city) is not inside it: NotFound, as for any code outside it."""
    area = get_area(code, scope)
    if area.level > 3:
        raise InvalidInput(_("code: the index is computed for provinces, cities, counties, townships and villages, "
                             "not for {code}").format(code=code), field="code")
    return area


def scores(unit: str, months: Iterable[dt.date], *, scope: str | None = None) -> list[Score]:
    """The unit's index for each month (first days), oldest first: the trend line."""
    area = _unit(unit, scope)
    months = sorted(set(months))
    _not_future(months, "months")
    computed = compute(area.code, months)
    return [computed[(area.code, m)] for m in months]


def rollup(monthly: list[Score], period: str, table: list[Version] | None = None) -> Score:
    """A quarter's or year's Score from its months' (mean score, mean points per input)."""
    last = monthly[-1]
    scored = [s for s in monthly if s.score is not None]
    if not scored:
        return Score(last.code, last.name, last.level, period, None, None, last.version, [])
    by_key: dict[str, list[Part]] = {}
    for s in scored:
        for p in s.parts:
            by_key.setdefault(p.key, []).append(p)
    n = len(scored)
    parts = []
    for key, items in by_key.items():
        values = [p.value for p in items if p.value is not None]
        subs = [p.sub_score for p in items if p.sub_score is not None]
        parts.append(Part(key, items[0].label, items[0].unit, sum(values) / len(values) if values else None,
                          sum(subs) / len(subs) if subs else None, items[-1].weight,
                          sum(p.points for p in items) / n, sum(p.lost for p in items) / n))
    score = sum(s.score for s in scored) / n
    table = table or versions()
    version = version_for(dt.date.fromisoformat(last.period + "-01"), table)
    return Score(last.code, last.name, last.level, period, score, version.band(score), version.label, parts)


def period_score(unit: str, period: str, *, scope: str | None = None) -> Score:
    """The unit's index for a month, a quarter or a year (roll-up: the mean of its months)."""
    months = months_of(period)
    monthly = scores(unit, months, scope=scope)
    return of_period(monthly, period)


def of_period(monthly: list[Score], period: str, table: list[Version] | None = None) -> Score:
    """A period's Score from its months' (period_score() from scores already computed)."""
    return monthly[0] if len(monthly) == 1 and PERIOD_RE.fullmatch(period)["month"] else rollup(monthly, period,
                                                                                                  table)


def ranking(unit: str, period: str, *, scope: str | None = None) -> list[Score]:
    """The unit's child units (a province's cities, a city's counties, a county's townships, a township's
    villages) for the period, best first (no index last), with their rank."""
    area = _unit(unit, scope)
    if area.level >= 3:
        raise InvalidInput(_("code: a village's grids have no index; rank a township's villages or the county's "
                             "townships"), field="code")
    months = months_of(period)
    return rank_children(compute(area.code, months), area, months, period)


def rank_children(computed: dict[tuple[str, dt.date], Score], area: Area, months: list[dt.date], period: str,
                  table: list[Version] | None = None) -> list[Score]:
    """ranking() from scores already computed under the unit (compute()): a reader that needs the unit's,
    its children's and a year before's index computes once (the reports)."""
    table = table or versions()
    children = Area.objects.current().filter(parent=area, level=area.level + 1).values_list("code", flat=True)
    rows = []
    for code in children:
        monthly = [computed[(code, m)] for m in months if (code, m) in computed]
        if monthly:
            rows.append(monthly[0] if PERIOD_RE.fullmatch(period)["month"] else rollup(monthly, period, table))
    rows.sort(key=lambda s: (s.score is None, -(s.score or 0), s.code))
    return [Score(**{**s.__dict__, "rank": i}) for i, s in enumerate(rows, 1)]


# ------------------------------------------------------------------------------------------ the map

# Per process: the month's scores of every unit under a prefix, for the choropleth tiles (a tile is
# drawn for many (z, x, y) of the same month; the index of a whole county takes ~1 s to compute).
# An ended month's index changes only with a late edit of its matters or a new weight version, so it
# is kept 10 minutes; this month's, 1 minute.
_MONTHS = Keeper("index month map", 600.0)


def month_map(prefix: str, month: dt.date) -> dict[str, tuple[float | None, str | None]]:
    """{unit code: (score, band)} of every unit (province to village) under `prefix` for a month."""
    ttl = 60.0 if month >= timezone.localdate().replace(day=1) else 600.0
    return _MONTHS.get((prefix, month), lambda: {code: (s.score, s.band)
                                                 for (code, _m), s in compute(prefix, [month]).items()},
                       seconds=ttl)


def forget() -> None:
    """Drop the per-process month cache (tests; a new weight version)."""
    _MONTHS.forget()
