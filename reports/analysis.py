"""The report's safety index and early warnings, read from the analysis app's Python API.

The index of the unit for the report's period (a month or a quarter, the same spellings), its child
units' for the ranking and the map, and the warnings of each month of the period inside the unit, all
within the caller's scope. Nothing is computed here: the analysis app is the one home of the index and
of the warnings' statistics.
"""

from __future__ import annotations

from django.apps import apps

from geo.access import Access


def add_to(report, access: Access) -> None:
    if not apps.is_installed("analysis"):  # the reports app also runs without the analysis app
        return
    from analysis import index, warnings

    code, period = report.area.code, report.period.text
    report.index = index.period_score(code, period, scope=access.scope)
    if report.children:
        report.index_children = index.ranking(code, period, scope=access.scope)
        bands = {s.code: s.band for s in report.index_children}
        report.map_areas = [_with(a, bands.get(a.code)) for a in report.map_areas]
        report.map_measure = str(index.LEGEND) if hasattr(index, "LEGEND") else "safety index band"
    report.warnings = [w for month in report.period.months for w in warnings.current(code, month, scope=access.scope)]


def _with(area, value):
    from dataclasses import replace

    return replace(area, value=value)
