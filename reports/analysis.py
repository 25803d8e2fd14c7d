"""The report's safety index and early warnings, read from the analysis app's Python API.

The index of the unit for the report's period (a month or a quarter: the same spellings), its child
units' for the ranking and the map, and the warnings of each month of the period inside the unit, all
within the caller's scope. Nothing is computed here: the analysis app is the one home of the index and
of the warnings' statistics. It computes both for the county, townships and villages; a grid's report
has neither, and a village's children (grids) have no index, so its map keeps the intake.
"""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext as _

from analysis import index, warnings
from geo.access import Access

MAX_WARNINGS = 12  # listed in the report; the rest are counted


def add_to(report, access: Access) -> None:
    area = report.area
    if area.level > 3:
        return
    code, period = area.code, report.period.text
    report.index = index.period_score(code, period, scope=access.scope)
    if area.level <= 2 and report.children:
        report.index_children = index.ranking(code, period, scope=access.scope)
        bands = {s.code: s.band for s in report.index_children}
        report.map_areas = [replace(a, value=bands.get(a.code)) for a in report.map_areas]
        report.map_measure = _("Safety index band")
    found = [w for month in report.period.months for w in warnings.current(code, month, scope=access.scope)]
    report.warnings = found[:MAX_WARNINGS]
    report.more_warnings = len(found) - len(report.warnings)
