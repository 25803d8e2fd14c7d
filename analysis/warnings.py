"""Early warnings (预警): units whose incidents this month are significantly above their own seasonal
baseline, and spatial hot spots. The Python API:

    current(unit, month, scope=None)    [Warning], each with a one-sentence explanation

**Above baseline** (villages and basic grids under the unit). For a unit u and month M, with x_u,t its
intake (counts.py, by month) in the 12 months t = M−12 … M−1:

    seasonal factor   f_M = C_{M−12} ÷ mean_t(C_t), C the county's monthly intake (1 when a history
                      month of the county is empty: the data begin after it; no test at all when the
                      county has no history)
    expected          λ_u = (Σ_t x_u,t + 0.5) ÷ 12 × f_M     (+0.5: a unit with no history is not infinitely
                                                             surprised by its first matter)
    dispersion        φ = max(1, Pearson χ² ÷ df) of the history months against μ_u f_t (f_t: each month's
                      own seasonal factor, C_t ÷ mean C), over every unit tested
    test              one-sided: p_u = P(X ≥ x_u,M), X negative binomial with mean λ_u and variance φ λ_u
                      (Poisson when φ = 1): a quasi-Poisson exact test, so months that vary more than a
                      Poisson count does are not all flagged
    decision          Benjamini-Hochberg over all the villages and grids tested for the month, false
                      discovery rate q = 0.05 (FDR_Q), and at least MIN_COUNT matters this month

**Hot spots** (basic grids under the unit): the local Getis-Ord Gi* statistic (PySAL esda.G_Local,
star=True, binary weights) of each grid's excess this month over its own baseline, the Pearson
residual (x − λ) ÷ √(φ λ) of the test above — so a hot spot is a cluster of grids that are together
above what they usually see, not the town centre that always has more matters; in a county without
history (no baseline), of the month's intake itself — with queen contiguity (grids sharing any
boundary point, found by PostGIS, built into a libpysal W). Its z-score is tested one-sided against
the normal (the analytical Gi* test of Ord & Getis 1995; permutation p-values floor at 1/(n+1) and
could never pass an FDR over 1,500 grids), then Benjamini-Hochberg at q = 0.05 over the grids. Only
the grids inside the caller's scope and the unit take part, so a township leader's hot spots are the
township's. A county where every grid has the same count has no variance: no hot spot.

**Above the county** (a city or a province): the same two detectors, one level up. The units tested are
the counties under it (not their villages: a city's leader acts on counties, and its page ranks them as
a county's ranks townships); the seasonal factor is the unit's own (its counties' sum), φ is estimated
over its counties, Benjamini-Hochberg runs over its counties, and the hot spots are Gi* over the
counties with queen contiguity (at least 3 counties, as at least 3 grids below). Why not the union of
the counties' own warnings: a province of a hundred counties would compute a hundred county fits per
page (about 1 s each at full scale), and the village warnings are one click down, on each county's page,
exactly as the county computes them. Why not the same detectors over every village of the city: the
seasonal factor and the dispersion are properties of a county's data (its own reporting habits), and a
village's verdict would then depend on which level asked.
"""

from __future__ import annotations

import datetime as dt
import warnings as pywarnings
from dataclasses import asdict, dataclass

import numpy as np
from django.utils.translation import gettext as _
from scipy import stats

from analysis.index import parse_month
from analysis.inputs import next_month
from geo import sql
from geo.errors import InvalidInput
from grids.models import Area, get_area
from layers.figures.counts import LEVEL_LENGTH, Selection, counts_sql, local_midnight

FDR_Q = 0.05
MIN_COUNT = 3
HISTORY = 12


@dataclass(frozen=True)
class Warning:
    kind: str  # "baseline" | "hotspot"
    code: str
    name: str
    level: int
    month: str
    observed: int
    expected: float | None  # baseline: λ; hot spot: the grid's neighbourhood mean
    statistic: float  # baseline: observed ÷ expected; hot spot: Gi* z-score
    p_value: float
    threshold: float  # the Benjamini-Hochberg cut-off the p-value passed
    sentence: str

    def as_dict(self) -> dict:
        body = asdict(self)
        for key in ("expected", "statistic"):
            if body[key] is not None:
                body[key] = round(body[key], 3)
        body["p_value"] = float(f"{self.p_value:.3g}")
        body["threshold"] = float(f"{self.threshold:.3g}")
        return body


def benjamini_hochberg(p: np.ndarray, q: float = FDR_Q) -> float:
    """The largest p_(k) with p_(k) ≤ k q / m (0 when none): every p at or below it is a discovery."""
    if p.size == 0:
        return 0.0
    ordered = np.sort(p)
    passed = ordered <= q * np.arange(1, p.size + 1) / p.size
    return float(ordered[np.nonzero(passed)[0].max()]) if passed.any() else 0.0


def _monthly(prefix: str, level: int, first: dt.date, end: dt.date) -> dict[tuple[str, dt.date], int]:
    """{(area, month): intake} at a level under a prefix (counts.py by month: intake only)."""
    sel = Selection(since=local_midnight(first), until=local_midnight(end), prefix=prefix)
    cte, params = counts_sql(sel, level, bucket="month", light=True)
    return {(r["area_code"], r["bucket"]): r["intake"]
            for r in sql.rows(f"WITH {cte} SELECT area_code, bucket, intake FROM counts", params)}


def _history_months(month: dt.date) -> list[dt.date]:
    months, m = [], month
    for _i in range(HISTORY):
        m = (m - dt.timedelta(days=1)).replace(day=1)
        months.append(m)
    return months[::-1]


def baseline_test(history: np.ndarray, observed: np.ndarray, county: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The above-baseline test (module docstring) for units × 12 history months, this month's counts and
    the county's 12 history months: (expected λ, one-sided p-values, dispersion φ, BH cut-off)."""
    # A county month without any matter means the data begin after it: no seasonal adjustment then.
    f_t = county / county.mean() if county.size and county.min() > 0 else np.ones(history.shape[1])
    f_m = f_t[0]  # the same calendar month a year before
    mu = (history.sum(axis=1) + 0.5) / history.shape[1]
    expected_t = mu[:, None] * f_t[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected_t > 0, (history - expected_t) ** 2 / expected_t, 0.0)
    df = history.shape[0] * (history.shape[1] - 1)
    phi = max(1.0, float(terms.sum()) / df) if df else 1.0
    lam = np.maximum(mu * f_m, 1e-9)
    if phi > 1.0:
        p = stats.nbinom.sf(observed - 1, lam / (phi - 1.0), 1.0 / phi)
    else:
        p = stats.poisson.sf(observed - 1, lam)
    return lam, p, phi, benjamini_hochberg(p)


@dataclass
class Fit:
    """The month's counts of the units tested under a unit against their own baselines: villages and basic
    grids under a county or below, counties under a city or a province."""

    names: dict[str, str]
    tested: list[tuple[str, int]]  # (code, level)
    observed: np.ndarray
    expected: np.ndarray | None  # λ; None when the county has no history (no baseline, no test)
    p: np.ndarray | None
    phi: float
    cut: float
    spatial: int = 4  # the level the hot spots are looked for at: basic grids, or counties above the county

    def residuals(self, codes: list[str]) -> np.ndarray | None:
        """Pearson residuals (x − λ) ÷ √(φ λ) of the given codes (None without a baseline)."""
        if self.expected is None:
            return None
        at = {code: i for i, (code, _level) in enumerate(self.tested)}
        idx = [at[c] for c in codes]
        return (self.observed[idx] - self.expected[idx]) / np.sqrt(self.phi * self.expected[idx])


def tested_levels(area: Area) -> tuple[int, ...]:
    """The levels a unit's warnings test: its villages and basic grids (a county and below), its counties (a
    city or a province: the same detectors one level up, docs/analysis.md)."""
    return (3, 4) if area.level >= 1 else (1,)


def fit(area: Area, month: dt.date) -> Fit:
    """Count the units tested under the unit for the month and the 12 before, and test them. The seasonal
    factor is the county's (a county and below) or the unit's own (a city or province: its counties' sum)."""
    history = _history_months(month)
    end = next_month(month)
    root, root_level = (area.code[:6], 1) if area.level >= 1 else (area.code, area.level)
    county_counts = _monthly(root, root_level, history[0], end)
    county = np.array([county_counts.get((root, t), 0) for t in history], dtype=float)
    levels = tested_levels(area)
    names = dict(Area.objects.current().within(area.code).filter(level__in=levels).values_list("code", "name"))
    tested: list[tuple[str, int]] = []
    rows, now = [], []
    for level in levels:
        counts = _monthly(area.code, level, history[0] if county.any() else month, end)
        for code in sorted(c for c in names if len(c) == LEVEL_LENGTH[level]):
            tested.append((code, level))
            rows.append([counts.get((code, t), 0) for t in history])
            now.append(counts.get((code, month), 0))
    observed = np.array(now, dtype=float)
    spatial = levels[-1]
    if not tested or not county.any():  # no history in the county: no baseline to be above
        return Fit(names, tested, observed, None, None, 1.0, 0.0, spatial)
    lam, p, phi, cut = baseline_test(np.array(rows, dtype=float), observed, county)
    return Fit(names, tested, observed, lam, p, phi, cut, spatial)


def baseline(f: Fit, month: dt.date) -> list[Warning]:
    """Villages and grids above their seasonally adjusted baseline (module docstring)."""
    if f.expected is None:
        return []
    out = []
    for i, (code, level) in enumerate(f.tested):
        if f.observed[i] >= MIN_COUNT and f.cut > 0 and f.p[i] <= f.cut:
            observed, expected, p = int(f.observed[i]), float(f.expected[i]), float(f.p[i])
            out.append(Warning("baseline", code, f.names[code], level, f"{month:%Y-%m}", observed, expected,
                               observed / expected, p, f.cut, _(
                "{name}: {observed} matters in {month:%Y-%m} against {expected:.1f} expected from its own last 12 "
                "months adjusted for the season (p = {p:.2g}, significant at a false discovery rate of 5 %)").format(
                name=f.names[code], observed=observed, month=month, expected=expected, p=p)))
    out.sort(key=lambda w: w.p_value)
    return out


def _neighbours(prefix: str, codes: list[str], level: int = 4) -> dict[str, list[str]]:
    """Queen contiguity of the current areas of a level (basic grids; counties above the county) among the
    codes given: areas sharing any boundary point."""
    pairs = sql.rows("""
        SELECT a.code AS a, b.code AS b FROM grids_area a JOIN grids_area b
          ON a.code < b.code AND ST_Intersects(a.boundary, b.boundary)
        WHERE a.level = %(level)s AND b.level = %(level)s AND a.code = ANY(%(codes)s) AND b.code = ANY(%(codes)s)""",
                     {"codes": codes, "level": level})
    out: dict[str, list[str]] = {code: [] for code in codes}
    for pair in pairs:
        out[pair["a"]].append(pair["b"])
        out[pair["b"]].append(pair["a"])
    return out


def warm() -> None:
    """Import PySAL now (geo/warm.py): the first Gi* of a process would otherwise pay 2-3 s of CPU for it."""
    import esda  # noqa: F401
    from libpysal.weights import W  # noqa: F401


def gi_star(y: np.ndarray, neighbours: dict[str, list[str]], codes: list[str]
            ) -> tuple[np.ndarray, np.ndarray, float]:
    """Gi* z-scores (esda.G_Local, star, binary weights), their one-sided p-values and the BH cut-off;
    no variance (every count equal): z = 0, p = 1, no cut."""
    import esda
    from libpysal.weights import W

    if y.std() == 0:
        return np.zeros(y.size), np.ones(y.size), 0.0
    # Islands are expected (a grid on a lake shore, counties of a province loaded apart): libpysal's warning
    # about disconnected components would be printed for every such computation.
    with pywarnings.catch_warnings():
        pywarnings.filterwarnings("ignore", message="The weights matrix is not fully connected")
        w = W(neighbours, id_order=codes, silence_warnings=True)
        g = esda.G_Local(y, w, transform="B", star=True, permutations=0)
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float), nan=0.0)
    p = stats.norm.sf(z)
    return z, p, benjamini_hochberg(p)


def hotspots(area: Area, month: dt.date, f: Fit) -> list[Warning]:
    """Basic grids whose Gi* z-score is significantly high (module docstring): of the grids' excess over
    their own baselines (Pearson residuals) when the county has a history, of their counts otherwise."""
    codes = sorted(code for code, level in f.tested if level == f.spatial)
    if len(codes) < 3:
        return []
    at = {code: i for i, (code, _level) in enumerate(f.tested)}
    counts = f.observed[[at[c] for c in codes]]
    residuals = f.residuals(codes)
    y = counts if residuals is None else residuals
    neighbours = _neighbours(area.code, codes, f.spatial)
    grids = f.spatial == 4
    z, p, cut = gi_star(y, neighbours, codes)
    position = {code: i for i, code in enumerate(codes)}
    out = []
    for i, code in enumerate(codes):
        if z[i] > 0 and cut > 0 and p[i] <= cut:
            around = [position[n] for n in neighbours[code]] + [i]
            local = float(counts[around].mean())
            if residuals is None:
                text = _(
                    "{name}: a hot spot in {month:%Y-%m}: it and its {n} neighbouring grids average {local:.1f} "
                    "matters against {mean:.1f} across the area (Gi* z = {z:.2f}, p = {p:.2g}, significant at a "
                    "false discovery rate of 5 %)") if grids else _(
                    "{name}: a hot spot in {month:%Y-%m}: it and its {n} neighbouring counties average {local:.1f} "
                    "matters against {mean:.1f} across the area (Gi* z = {z:.2f}, p = {p:.2g}, significant at a "
                    "false discovery rate of 5 %)")
                sentence = text.format(name=f.names[code], month=month, n=len(around) - 1, local=local,
                                       mean=float(counts.mean()), z=float(z[i]), p=float(p[i]))
            else:
                expected = float(f.expected[[at[codes[j]] for j in around]].mean())
                text = _(
                    "{name}: a hot spot in {month:%Y-%m}: it and its {n} neighbouring grids are together above "
                    "their own baselines, {local:.1f} matters each against {expected:.1f} expected (Gi* z = "
                    "{z:.2f}, p = {p:.2g}, significant at a false discovery rate of 5 %)") if grids else _(
                    "{name}: a hot spot in {month:%Y-%m}: it and its {n} neighbouring counties are together above "
                    "their own baselines, {local:.1f} matters each against {expected:.1f} expected (Gi* z = "
                    "{z:.2f}, p = {p:.2g}, significant at a false discovery rate of 5 %)")
                sentence = text.format(name=f.names[code], month=month, n=len(around) - 1, local=local,
                                       expected=expected, z=float(z[i]), p=float(p[i]))
            out.append(Warning("hotspot", code, f.names[code], f.spatial, f"{month:%Y-%m}", int(counts[i]), local,
                               float(z[i]), float(p[i]), cut, sentence))
    out.sort(key=lambda w: w.p_value)
    return out


def current(unit: str, month: dt.date | str, *, scope: str | None = None) -> list[Warning]:
    """The warnings of a unit (province, city, county, township or village) for a month: above-baseline
    units first, then hot spots, each sorted by p-value. A county and below test their villages and basic
    grids; a city or a province tests its counties (module docstring). An ancestor of the caller's scope is
    not inside it (NotFound)."""
    area = get_area(unit, scope)
    if area.level > 3:
        raise InvalidInput(_("code: warnings are computed for provinces, cities, counties, townships and villages"),
                           field="code")
    if isinstance(month, str):
        month = parse_month(month)
    f = fit(area, month)
    return baseline(f, month) + hotspots(area, month, f)
