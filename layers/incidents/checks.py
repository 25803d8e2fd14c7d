"""System check: the working-day calendar covers this year and the next.

chinesecalendar knows a year once the State Council has published it (around November) and the
package has been updated; the override table (admin) can add a year by hand. A working-day time limit
that reaches a year neither covers is counted in calendar days, and the incident says so; this
warning (layers.W002, shown by `migrate`, `manage.py check --database default`, and on the override
table's admin page) names such years before deadlines run into them. A warning, not an error: the
center keeps working, with the shorter reading of its limits.
"""

from __future__ import annotations

from django.core import checks
from django.db import DatabaseError
from django.utils import timezone

from layers.incidents import workdays


@checks.register(checks.Tags.database)
def calendar_covers_next_year(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    if not databases:
        return []
    year = timezone.localdate().year
    try:
        missing = workdays.uncovered_years(year, year + 1)
    except DatabaseError:
        return []  # not migrated yet, or unreachable: reported by whatever needs the database
    if not missing:
        return []
    years = ", ".join(map(str, missing))
    return [checks.Warning(
        f"the working-day calendar does not cover {years} ({workdays.LIBRARY} knows "
        f"{min(workdays.LIBRARY_YEARS)}-{max(workdays.LIBRARY_YEARS)}); working-day time limits reaching "
        f"{years} are counted as calendar days",
        hint="enter the year's holidays and 调休 working days at /admin/layers/calendaroverride/, or update the "
             "chinesecalendar package (pyproject.toml) once it carries the year",
        id="layers.W002")]
