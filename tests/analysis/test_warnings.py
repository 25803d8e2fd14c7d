"""Early warnings: a planted hot spot and a planted surge are found, a uniform county yields none at the
stated significance (Benjamini-Hochberg, q = 0.05), and the scope holds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.contrib.gis.geos import Point

from analysis import warnings
from geo.errors import InvalidInput, NotFound
from grids.models import Area
from layers.models import Incident
from tests.analysis.conftest import local
from tests.support.areas import box

N = 6  # a 6 × 6 lattice of basic grids, 0.01° each
X0, Y0, STEP = 112.40, 35.00, 0.01
MONTH = dt.date(2026, 6, 1)


@pytest.fixture
def lattice(db) -> list[str]:
    """County → township → village → N × N basic grids (row-major codes …001-…036)."""
    whole = box(X0, Y0, X0 + N * STEP, Y0 + N * STEP)
    county = Area.objects.create(code="419001", name="济源示范区", level=1, boundary=whole)
    township = Area.objects.create(code="419001103", name="承留镇", level=2, parent=county, boundary=whole)
    village = Area.objects.create(code="419001103200", name="承留村", level=3, parent=township, boundary=whole)
    codes = []
    for r in range(N):
        for c in range(N):
            code = f"419001103200{r * N + c + 1:03d}"
            Area.objects.create(code=code, name=f"第{r * N + c + 1}网格", level=4, kind="rural", parent=village,
                                boundary=box(X0 + c * STEP, Y0 + r * STEP, X0 + (c + 1) * STEP, Y0 + (r + 1) * STEP))
            codes.append(code)
    return codes


def put(counts: dict[int, int], month: dt.date) -> None:
    """counts[grid index] matters in each grid, reported on the 10th of the month."""
    rows = []
    for i, n in counts.items():
        r, c = divmod(i, N)
        point = Point(X0 + (c + 0.5) * STEP, Y0 + (r + 0.5) * STEP, srid=4326)
        rows += [Incident(location=point, category="dispute", source="walk_in", status="accepted",
                          reported_at=local(month.year, month.month, 10)) for _ in range(n)]
    Incident.objects.bulk_create(rows)


def before(month: dt.date, k: int) -> dt.date:
    """The first day of the month k months before."""
    n = month.year * 12 + month.month - 1 - k
    return dt.date(n // 12, n % 12 + 1, 1)


def block(rows: range, cols: range) -> set[int]:
    return {r * N + c for r in rows for c in cols}


def test_a_planted_hot_spot_is_found(lattice):
    planted = block(range(1, 4), range(1, 4))
    put({i: (15 if i in planted else 2) for i in range(N * N)}, MONTH)
    found = [w for w in warnings.current("419001", MONTH) if w.kind == "hotspot"]
    codes = {w.code for w in found}
    assert lattice[2 * N + 2] in codes  # the block's centre
    assert codes <= {lattice[i] for i in planted} | {lattice[i] for i in block(range(0, 5), range(0, 5))}
    assert lattice[N * N - 1] not in codes  # the far corner
    first = found[0]
    assert "Gi* z =" in first.sentence and "false discovery rate of 5 %" in first.sentence
    assert first.p_value <= first.threshold
    # Scope: a caller limited to another township cannot see this county's warnings.
    with pytest.raises(NotFound):
        warnings.current("419001", MONTH, scope="419001104")
    with pytest.raises(InvalidInput):
        warnings.current(lattice[0], MONTH)


def test_a_uniform_county_yields_none(lattice):
    for back in range(1, 13):
        put({i: 2 for i in range(N * N)}, before(MONTH, back))
    put({i: 2 for i in range(N * N)}, MONTH)
    assert warnings.current("419001", MONTH) == []


def test_a_surge_above_the_own_baseline_is_found(lattice):
    for back in range(1, 13):
        put({i: 2 for i in range(N * N)}, before(MONTH, back))
    put({i: (14 if i == 20 else 2) for i in range(N * N)}, MONTH)
    found = [w for w in warnings.current("419001103", MONTH) if w.kind == "baseline"]
    assert [w.code for w in found] == [lattice[20]]
    # λ = (24 matters in 12 months + 0.5) / 12 × a seasonal factor of 1 (every month alike)
    assert found[0].observed == 14 and found[0].expected == pytest.approx(24.5 / 12)
    assert "expected from its own last 12 months" in found[0].sentence


def test_false_alarm_rate_under_the_null_is_within_the_stated_level():
    """With no effect anywhere, the share of months with any discovery stays near q = 0.05 (BH over
    independent or positively correlated tests controls it at q): Poisson lattices for Gi*, Poisson
    histories for the baseline test, 200 simulated months each."""
    rng = np.random.default_rng(7)
    n = 10
    codes = [str(i) for i in range(n * n)]
    neighbours = {str(r * n + c): [str(rr * n + cc) for rr in range(r - 1, r + 2) for cc in range(c - 1, c + 2)
                                   if (rr, cc) != (r, c) and 0 <= rr < n and 0 <= cc < n]
                  for r in range(n) for c in range(n)}
    gi_alarms = baseline_alarms = 0
    for _ in range(200):
        y = rng.poisson(5.0, n * n).astype(float)
        z, p, cut = warnings.gi_star(y, neighbours, codes)
        gi_alarms += bool(cut > 0 and ((p <= cut) & (z > 0)).any())
        history = rng.poisson(4.0, (200, 12)).astype(float)
        now = rng.poisson(4.0, 200).astype(float)
        _lam, p, _phi, cut = warnings.baseline_test(history, now, history.sum(axis=0))
        baseline_alarms += bool(cut > 0 and ((p <= cut) & (now >= warnings.MIN_COUNT)).any())
    assert gi_alarms <= 20 and baseline_alarms <= 20  # ≤ 10 % of months, against 5 % stated


def test_a_hot_spot_is_a_cluster_above_its_baseline_not_the_always_busy_centre(lattice):
    """With a history, Gi* reads each grid's excess over its own baseline: a block that is always busy
    (10 a month, every month) is no hot spot; a quiet block that surges together is."""
    busy = block(range(0, 3), range(0, 3))
    surge = block(range(3, 6), range(3, 6))
    usual = {i: (10 if i in busy else 2) for i in range(N * N)}
    for back in range(1, 13):
        put(usual, before(MONTH, back))
    put({i: (7 if i in surge else usual[i]) for i in range(N * N)}, MONTH)
    found = [w for w in warnings.current("419001", MONTH) if w.kind == "hotspot"]
    codes = {w.code for w in found}
    assert lattice[4 * N + 4] in codes  # the surging block's centre
    assert not codes & {lattice[i] for i in busy}
    assert "above their own baselines" in found[0].sentence
