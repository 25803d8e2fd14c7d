"""From figures to what a page shows: KPI cards against the previous period, and ranked tables.

Pure functions over data.py's dataclasses, so the wording and the arithmetic are tested without a
database, and a figure is formatted the same way on every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.dashboards.data import ChildRow, DeskKpis, UnitKpis
from layers.figures.counts import Figures

# (key, kind, higher is better): the panel's cards, in the order leaders read them.
CARDS = [
    ("intake", "count", None),
    ("open", "count", False),
    ("overdue", "count", False),
    # Live, at the period's end (or now): waiting past the acceptance limit, and due within 24 hours.
    ("accept_overdue", "count", False),
    ("due_soon", "count", False),
    ("closure_rate", "rate", True),
    ("on_time_rate", "rate", True),
    ("satisfaction", "rate", True),
]

# The ranked table's orders, all highest first: best rates first, heaviest workload and most overdue first.
SORTS = {
    "closure_rate": lambda r: r.figures.closure_rate,
    "on_time_rate": lambda r: r.figures.on_time_rate,
    "workload": lambda r: r.open_per_worker,
    "overdue": lambda r: r.figures.overdue,
}
DEFAULT_SORT = "closure_rate"


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: str
    previous: str
    delta: str
    trend: str  # "up", "down" or "flat"
    tone: str  # "good", "bad" or "" (neutral or not comparable)
    # Against the same period a year before (同比), when the card has it.
    year_before: str = ""
    yoy_delta: str = ""
    yoy_trend: str = "flat"
    yoy_tone: str = ""


def value_of(figures: Figures, key: str) -> float | int | None:
    if key == "satisfaction":
        return figures.satisfaction_rate
    return getattr(figures, key)


def fmt_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def fmt_rate(value: float | None) -> str:
    """A rate as leaders quote it: 96.86%."""
    return "—" if value is None else f"{value * 100:.2f}%"


def fmt_hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _delta(kind: str, now: float | int | None, before: float | int | None) -> tuple[str, str, float | None]:
    if now is None or before is None:
        return "—", "flat", None
    diff = now - before
    if kind == "rate":
        text = f"{diff * 100:+.2f} pp"
    else:
        text = f"{diff:+,}"
    trend = "up" if diff > 0 else "down" if diff < 0 else "flat"
    return text.replace("-", "−"), trend, diff


def cards(kpis: UnitKpis, labels: dict[str, str]) -> list[Card]:
    """The KPI panel: each figure, its previous-period value, and the change, coloured by whether it is good."""
    out = []
    for key, kind, higher_better in CARDS:
        now, before = value_of(kpis.current, key), value_of(kpis.previous, key)
        fmt = fmt_rate if kind == "rate" else fmt_count
        delta, trend, diff = _delta(kind, now, before)
        yoy: dict[str, str] = {}
        if kpis.year_before is not None:
            last_year = value_of(kpis.year_before, key)
            yoy_delta, yoy_trend, yoy_diff = _delta(kind, now, last_year)
            yoy = {"year_before": fmt(last_year), "yoy_delta": yoy_delta, "yoy_trend": yoy_trend,
                   "yoy_tone": _tone(higher_better, yoy_diff)}
        out.append(Card(key, labels[key], fmt(now), fmt(before), delta, trend, _tone(higher_better, diff), **yoy))
    return out


def change(now: int, before: int) -> str:
    """A count against an earlier one as leaders quote it: +12 (+8.5%), −3 (−20.0%), +4 (from none)."""
    text, _trend, diff = _delta("count", now, before)
    return f"{text} ({diff / before:+.1%})".replace("-", "−") if before else text


def _tone(higher_better: bool | None, diff: float | int | None) -> str:
    if higher_better is None or not diff:
        return ""
    return "good" if (diff > 0) == higher_better else "bad"


# (key, kind, higher is better) of the command desk's cards (layers/figures/desk.py).
DESK_CARDS = [
    ("supervised", "count", None),
    ("supervision_overdue", "count", False),
    ("resolved_in_grid", "rate", True),
    ("resolved_in_village", "rate", True),
    ("mediation_success", "rate", True),
    ("department_closure", "rate", True),
]


def desk_cards(current: DeskKpis, previous: DeskKpis, labels: dict[str, str]) -> list[Card]:
    """The desk's cards, against the previous period like the loop's."""
    out = []
    for key, kind, higher_better in DESK_CARDS:
        now, before = getattr(current, key), getattr(previous, key)
        fmt = fmt_rate if kind == "rate" else fmt_count
        delta, trend, diff = _delta(kind, now, before)
        tone = "" if higher_better is None or not diff else "good" if (diff > 0) == higher_better else "bad"
        out.append(Card(key, labels[key], fmt(now), fmt(before), delta, trend, tone))
    return out


def rank(rows: list[ChildRow], sort: str) -> list[tuple[int, ChildRow]]:
    """Rows ranked by a figure, highest first, ties in code order; units with no value (no intake, no
    workers) come last, in code order."""
    value = SORTS.get(sort, SORTS[DEFAULT_SORT])
    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]
    known.sort(key=lambda r: (-value(r), r.code))
    return list(enumerate(known + unknown, start=1))
