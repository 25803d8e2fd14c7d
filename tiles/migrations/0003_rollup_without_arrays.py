"""Rollup triggers aggregate the transition tables directly.

The first version passed the changed rows to a helper function as an array of composite values,
which copies every row: fine for one incident, wasteful for a bulk INSERT of a million. Reading
new_rows/old_rows in the trigger's own statements aggregates them in place.
"""

from django.db import migrations

ROLLUP_INSERT = """
        INSERT INTO tiles_incidentrollup AS t (level, area_code, month, category, severity, status, n, n_late)
        SELECT lv.level, left(r.grid_code, lv.len),
               date_trunc('month', r.reported_at AT TIME ZONE 'Asia/Shanghai')::date,
               r.category, r.severity, r.status,
               {sign} count(*), {sign} count(*) FILTER (WHERE r.closed_at > r.due_at)
        FROM {rows} AS r
        CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
        WHERE r.grid_code IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (area_code, month, category, severity, status)
        DO UPDATE SET n = t.n + EXCLUDED.n, n_late = t.n_late + EXCLUDED.n_late;"""

CHANGED = """(SELECT {side}.* FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE (o.grid_code, o.status, o.category, o.severity, o.reported_at, o.closed_at > o.due_at)
                    IS DISTINCT FROM
                    (n.grid_code, n.status, n.category, n.severity, n.reported_at, n.closed_at > n.due_at))"""

FORWARD = f"""
CREATE OR REPLACE FUNCTION tiles_incident_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {ROLLUP_INSERT.format(sign='', rows='new_rows')}
    ELSIF TG_OP = 'DELETE' THEN
        {ROLLUP_INSERT.format(sign='-', rows='old_rows')}
    ELSE
        {ROLLUP_INSERT.format(sign='-', rows=CHANGED.format(side='o'))}
        {ROLLUP_INSERT.format(sign='', rows=CHANGED.format(side='n'))}
    END IF;
    RETURN NULL;
END $$;
DROP FUNCTION IF EXISTS tiles_rollup_apply(integer, layers_incident[]);
"""


class Migration(migrations.Migration):
    dependencies = [("tiles", "0002_triggers")]
    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
