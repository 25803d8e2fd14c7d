"""The figures' derived tables: one rollup of incident counts, and the open matters.

Both are kept in step with layers_incident by statement-level triggers (layers/figures/sql/functions/
20_rollup.sql), so every write path keeps them right; nothing else writes here, and
`manage.py rebuild_figures` recounts them from scratch.

Why this grain for the rollup — area (county, township, village and basic grid: a row per level) ×
local calendar month × class × severity × status, and beside each area's months its all-time row
(month NULL), kept by the same upsert:
- every reader needs some of these: the map filters by class, severity and status and draws counts
  per township, village or grid; the dashboards and /api/stats add units up by class; leaders read
  months, quarters and years. Source is left out (it would multiply the rows, and only a rare filter
  asks for it: such requests count the incidents themselves).
- months, not days: a full-scale county's two years are ~1,500 grids × 24 months; at day grain a grid
  row would hold about one incident and the rollup would be as large as the table it summarises. The
  days of a period before its first and after its last whole month are counted from the incidents'
  own rows through covering indexes (layers/figures/counts.py), which is a month at most at each end.
- the all-time rows answer the map's default view (no period) in a twelfth to a twenty-fourth of the rows:
  a village's two years are ~350 monthly rows and ~40 all-time ones, and a low-zoom tile adds up a few
  hundred villages.
- the status and the step times are the current ones. A figure taken "as of" a moment in the past
  corrects the closed counts with the few matters closed after that moment (index incident_closed);
  one taken now needs no correction. Whether a matter is overdue changes with the clock, so it is never
  rolled up: the late ones are (closed after their due time, `late`), the open ones are read from
  OpenIncident, which holds only the open matters (a few per cent of all).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Left

# Every column a reader sums or filters on, carried by the indexes so that reads need not visit the table.
MEASURED = ["area_code", "category", "severity", "status", "n", "late", "close_seconds", "rated", "satisfied",
            "satisfaction_sum"]


class IncidentRollup(models.Model):
    """Incident counts per area (levels 1-4), local month of report, class, severity and current status."""

    level = models.PositiveSmallIntegerField(help_text="1 county, 2 township, 3 village, 4 basic grid")
    area_code = models.CharField(max_length=16)
    month = models.DateField(null=True, help_text="first day of the local month of report (GRIDMAP_TIME_ZONE); "
                                                  "empty on the area's all-time rows")
    category = models.CharField(max_length=20)
    severity = models.CharField(max_length=10)
    status = models.CharField(max_length=16)
    n = models.IntegerField(default=0, help_text="incidents")
    late = models.IntegerField(default=0, help_text="closed after their due time")
    close_seconds = models.FloatField(default=0, help_text="sum over the closed of closed_at − reported_at")
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0, help_text="rated 4 or 5")
    satisfaction_sum = models.IntegerField(default=0)

    class Meta:
        # Pattern ops: a unit's rows are a range under LIKE '<code>%' whatever the collation.
        constraints = [models.UniqueConstraint(
            fields=["area_code", "month", "category", "severity", "status"], name="incidentrollup_key",
            opclasses=["varchar_pattern_ops", "date_ops", "varchar_ops", "varchar_ops", "varchar_ops"],
            nulls_distinct=False)]
        # Covering: a county's grids over a year (~190,000 rows at 5M incidents) are read as an index-only
        # scan of the months asked for, not as as many random visits to the table.
        # The all-time rows again, by area: a tile's areas (~200 at village zoom) read as an index-only
        # scan of the few all-time rows, not as visits to a table thirteen times their size.
        indexes = [models.Index(fields=["level", "month"], name="incidentrollup_level_month", include=MEASURED),
                   models.Index(fields=["area_code"], name="incidentrollup_all_time", condition=Q(month__isnull=True),
                                include=MEASURED)]

    def __str__(self) -> str:
        return f"{self.area_code} {self.month:%Y-%m} {self.category}/{self.severity}/{self.status}: {self.n}"


class OpenIncident(models.Model):
    """The open matters only (closed_at is null): the live part of "overdue", and the live figures
    acceptance overdue and due within 24 h, a few thousand narrow rows instead of scattered rows of
    the big table."""

    id = models.BigIntegerField(primary_key=True)
    grid_code = models.CharField(max_length=16, null=True)
    due_at = models.DateTimeField(null=True)
    reported_at = models.DateTimeField()
    category = models.CharField(max_length=20)
    severity = models.CharField(max_length=10)
    source = models.CharField(max_length=24)
    status = models.CharField(max_length=16)
    # The live acceptance figure (figures_accept_overdue) reads these.
    accepted_at = models.DateTimeField(null=True)
    accept_due_at = models.DateTimeField(null=True)

    class Meta:
        # A unit's open matters by its code's prefix (pattern ops), and a tile's areas by equality on the
        # code of their level: one index per level that tiles count at (township, village, grid).
        indexes = [models.Index(fields=["grid_code"], name="openincident_grid", opclasses=["varchar_pattern_ops"]),
                   *(models.Index(Left("grid_code", n), name=f"openincident_left{n}") for n in (9, 12, 15)),
                   # The low zooms' open part (counts.py, OpenRollup): a county's, township's or village's
                   # matters due in a range of times (the moment's month, the next 24 hours), and the few not
                   # yet accepted.
                   *(models.Index(Left("grid_code", n), F("due_at"), name=f"openincident_left{n}_due")
                     for n in (6, 9, 12)),
                   models.Index(fields=["grid_code"], name="openincident_unaccepted",
                                condition=Q(accepted_at__isnull=True))]

    def __str__(self) -> str:
        return f"open #{self.id}"


class OpenRollup(models.Model):
    """The open matters per county, township and village, local month of report, class and local month of
    their due time (layers/figures/sql/functions/25_open_rollup.sql keeps it from OpenIncident).

    Why: "overdue" changes with the clock, so it is never in IncidentRollup; the map's low zooms counted it
    from every open matter of the tile's areas, a province's counties at z5 (tens of thousands of rows at
    ten counties, growing with each county's incidents). Every matter due in a month before the moment
    taken is overdue at that moment, so only those due in the moment's own month need their rows; the rest
    is a sum over these rows, about two dozen per county (a county's 2,156 open matters of bench/province
    fell on 27 (due month) keys, 108 for four counties). Why this grain:
    - the due month, not the day: the moment taken is now (a period running to now), and what is due before
      its month is whole; a day grain would keep a row per day of a two-year backlog (719 per county).
    - the month of report and the class: the map's period and class filters (the dashboards' tiles always
      pass a period); severity, status and source are left out (they would multiply the rows about
      tenfold, and their filters count the open matters' rows as before).
    - counties, townships and villages: the zooms that count per county (z ≤ 7), per township (z8-9) and
      per village (z10-11). Villages were first left out as "few": at bench/province's ten counties of a
      million incidents a village holds ~1,200 open matters, and a z10 tile's 10-14 villages read 17,000-
      22,000 of their rows twice (the incidents and the workload layer), ~45 ms of a 60 ms tile; their rollup
      rows are ~140 per village (25,131 for 183 villages). A grid's open matters are read directly (z ≥ 12).
    """

    level = models.PositiveSmallIntegerField(help_text="1 county, 2 township, 3 village")
    area_code = models.CharField(max_length=16)
    month = models.DateField(help_text="first day of the local month of report")
    category = models.CharField(max_length=20)
    due_month = models.DateField(null=True, help_text="first day of the local month of the due time; empty: none")
    n = models.IntegerField(default=0, help_text="open matters")

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["area_code", "month", "category", "due_month"], name="openrollup_key",
            opclasses=["varchar_pattern_ops", "date_ops", "varchar_ops", "date_ops"], nulls_distinct=False)]
        indexes = [models.Index(fields=["level", "area_code"], name="openrollup_area",
                                include=["month", "category", "due_month", "n"])]

    def __str__(self) -> str:
        return f"{self.area_code} {self.month:%Y-%m} {self.category} due {self.due_month}: {self.n}"
