"""The report's safety index and early warnings, read from the analysis app's Python API.

The index of the unit for the report's period (a month, a quarter or a year: the same spellings; a
quarter's or a year's is the roll-up, the mean of its months), the same period a year before (同比), the
period's months one by one (a quarter's or a year's report), its child units' for the ranking and the
map, and the warnings of each month of the period inside the unit, all within the caller's scope.
Nothing is computed here: the analysis app is the one home of the index and of the warnings'
statistics. One index.compute() covers the unit, its children, the period and the year before; the
warnings are the ones the panorama keeps (analysis.dashboards.month_warnings, geo.kept), so a report
made after a page view, or a second report of the month, does not compute them again.

The analysis app computes both for provinces, cities, counties, townships and villages (a city's or
province's index is the formula over its villages' summed inputs, its warnings test its counties); a
grid's report has neither, and a village's children (grids) have no index, so its map keeps the intake.

A department account's report is narrowed to its department's matters (content.gather). The index and
the warnings count every matter of a unit, whoever handles it: shown to a department they would be
figures it may not see by any other path (the analysis routes refuse department accounts), and narrowed
to the department's few matters they would be meaningless (the anchors are per 1,000 residents of all
matters). So a department's report leaves them out and says why; its map is coloured by its own intake.
"""

from __future__ import annotations

from dataclasses import replace

from django.utils import translation
from django.utils.translation import gettext as _

from analysis import index
from analysis.dashboards import month_warnings
from geo.access import Access
from geo.errors import InvalidInput

MAX_WARNINGS = 12  # listed in the report; the rest are counted


def add_to(report, access: Access) -> None:
    area = report.area
    if area.level > 3:
        return
    if access.narrowed:
        report.analysis_note = _(
            "This report is narrowed to the matters dispatched to {department}. The safety index and the early "
            "warnings count every matter of the unit, so they are left out.").format(department=access.department_code)
        return
    code, period = area.code, report.period
    months = index.months_of(period.text)
    try:
        before = index.months_of(period.year_before().text)
    except InvalidInput:  # before 1900: no year before
        before = []
    table = index.versions()
    computed = index.compute(code, sorted(set(months) | set(before)))
    monthly = [computed[(code, m)] for m in months]
    report.index = index.of_period(monthly, period.text, table)
    if before:
        report.index_year_before = index.of_period([computed[(code, m)] for m in before],
                                                   period.year_before().text, table)
    if len(months) > 1:
        report.index_months = monthly
    if area.level <= 2 and report.children:
        report.index_children = index.rank_children(computed, area, months, period.text, table)
        bands = {s.code: s.band for s in report.index_children}
        report.map_areas = [replace(a, value=bands.get(a.code)) for a in report.map_areas]
        report.map_measure = _("Safety index band")
    lang = translation.get_language() or "zh-hans"
    found = [w for month in months for w in month_warnings(code, month, access.scope or "", lang)]
    report.warnings = found[:MAX_WARNINGS]
    report.more_warnings = len(found) - len(report.warnings)
