"""Two indexes the figures' readers probe at five million incidents.

- incident_report_month_closed: the matters closed, by UTC month of report and closing time. A figure
  of a past period takes back the closings after its end (layers/figures/counts.py); probing month by
  month of report reads only those rows, where the closing-time index alone read every matter closed
  since (a year's comparison period: millions of rows, ~0.4 s).
- incident_reporter_week: who reported what, by time of report, for the weekly ranking's "reported"
  (an index-only scan of a week's reports by workers instead of fetching every report of the week).

UTC, not the display zone: an index expression must not depend on a setting.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS incident_report_month_closed ON layers_incident
    (date_trunc('month', reported_at AT TIME ZONE 'UTC'), closed_at) INCLUDE (grid_code, reported_at, due_at)
    WHERE closed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS incident_reporter_week ON layers_incident (reported_at)
    INCLUDE (reporter_worker_id, grid_code) WHERE reporter_worker_id IS NOT NULL;
"""
BACKWARD = "DROP INDEX IF EXISTS incident_report_month_closed; DROP INDEX IF EXISTS incident_reporter_week;"


class Migration(migrations.Migration):
    dependencies = [("layers", "0010_one_rollup")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
