"""The daily rollup gains township rows beside the village rows.

Why: measured on full-scale 济源 (530 villages, 1M incidents over two years), a county's year summed
~190,000 village-day rows: /api/stats for the county was ~100 ms at p50 and over 200 ms at p95 on the
loaded 2-core machine. With one row per township and day as well (16 townships), the county adds
~6,000 rows and a township its own ~365. The same statement-level trigger writes both levels.
"""

from importlib import import_module

from django.db import migrations, models

COLUMNS = "level, unit_code, day, intake, closed, closed_on_time, close_seconds, rated, satisfied, satisfaction_sum"
# Township and village code lengths, one rollup row for each per statement group.
LEVELS = "(VALUES (2, 9), (3, 12)) AS lv(level, len)"


def upsert(sign: str, rows: str) -> str:
    """Add (sign '') or subtract (sign '-') the contribution of `rows` per level, unit and UTC day."""
    return f"""
        INSERT INTO layers_incidentday AS d ({COLUMNS})
        SELECT lv.level, left(r.grid_code, lv.len), (r.reported_at AT TIME ZONE 'UTC')::date,
               {sign}count(*), {sign}count(r.closed_at),
               {sign}count(*) FILTER (WHERE r.closed_at IS NOT NULL AND (r.due_at IS NULL OR r.closed_at <= r.due_at)),
               {sign}COALESCE(sum(extract(epoch FROM r.closed_at - r.reported_at)), 0),
               {sign}count(r.satisfaction), {sign}count(*) FILTER (WHERE r.satisfaction >= 4),
               {sign}COALESCE(sum(r.satisfaction), 0)
        FROM {rows} AS r CROSS JOIN {LEVELS}
        WHERE r.grid_code IS NOT NULL
        GROUP BY 1, 2, 3
        ON CONFLICT (level, unit_code, day) DO UPDATE SET
            intake = d.intake + EXCLUDED.intake,
            closed = d.closed + EXCLUDED.closed,
            closed_on_time = d.closed_on_time + EXCLUDED.closed_on_time,
            close_seconds = d.close_seconds + EXCLUDED.close_seconds,
            rated = d.rated + EXCLUDED.rated,
            satisfied = d.satisfied + EXCLUDED.satisfied,
            satisfaction_sum = d.satisfaction_sum + EXCLUDED.satisfaction_sum;"""


CHANGED = """(SELECT {side}.* FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
              WHERE (o.grid_code, o.reported_at, o.closed_at, o.due_at, o.satisfaction)
                    IS DISTINCT FROM (n.grid_code, n.reported_at, n.closed_at, n.due_at, n.satisfaction))"""

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION gridmap_incident_day_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {upsert('', 'new_rows')}
    ELSIF TG_OP = 'DELETE' THEN
        {upsert('-', 'old_rows')}
    ELSE
        {upsert('-', CHANGED.format(side='o'))}
        {upsert('', CHANGED.format(side='n'))}
    END IF;
    RETURN NULL;
END $$;

-- Rebuild from scratch: after a load that ran with triggers disabled, or to check the rollup.
CREATE OR REPLACE FUNCTION gridmap_incident_day_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM layers_incidentday;
    {upsert('', 'layers_incident').strip()}
$$;
"""

FORWARD = FUNCTIONS + """
INSERT INTO layers_incidentday (level, unit_code, day, intake, closed, closed_on_time, close_seconds, rated,
                                satisfied, satisfaction_sum)
SELECT 2, left(unit_code, 9), day, sum(intake), sum(closed), sum(closed_on_time), sum(close_seconds), sum(rated),
       sum(satisfied), sum(satisfaction_sum)
FROM layers_incidentday WHERE level = 3 GROUP BY 2, 3;
"""

# Back to village rows only, with 0008's trigger function and 0004's rebuild. They name village_code,
# which the reversed RenameField restores right after this runs: bodies are checked when first used.
_0008 = import_module("layers.migrations.0008_incident_day_statement_triggers")
BACKWARD = f"""
DELETE FROM layers_incidentday WHERE level = 2;
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION gridmap_incident_day_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_0008.upsert('', 'new_rows')}
    ELSIF TG_OP = 'DELETE' THEN
        {_0008.upsert('-', 'old_rows')}
    ELSE
        {_0008.upsert('-', _0008.CHANGED.format(side='o'))}
        {_0008.upsert('', _0008.CHANGED.format(side='n'))}
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION gridmap_incident_day_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM layers_incidentday;
    INSERT INTO layers_incidentday (village_code, day, intake, closed, closed_on_time, close_seconds, rated,
                                    satisfied, satisfaction_sum)
    SELECT left(grid_code, 12), (reported_at AT TIME ZONE 'UTC')::date, count(*), count(closed_at),
           count(*) FILTER (WHERE closed_at IS NOT NULL AND (due_at IS NULL OR closed_at <= due_at)),
           COALESCE(sum(extract(epoch FROM closed_at - reported_at)), 0), count(satisfaction),
           count(*) FILTER (WHERE satisfaction >= 4), COALESCE(sum(satisfaction), 0)
    FROM layers_incident WHERE grid_code IS NOT NULL GROUP BY 1, 2;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0008_incident_day_statement_triggers")]

    operations = [
        migrations.RemoveConstraint(model_name="incidentday", name="incidentday_key"),
        migrations.RenameField(model_name="incidentday", old_name="village_code", new_name="unit_code"),
        migrations.AlterField(model_name="incidentday", name="unit_code",
                              field=models.CharField(help_text="township (9 digits) or village (12) code",
                                                     max_length=12)),
        migrations.AddField(model_name="incidentday", name="level",
                            field=models.PositiveSmallIntegerField(
                                choices=[(2, "township"), (3, "village/community")], default=3),
                            preserve_default=False),
        migrations.AddConstraint(
            model_name="incidentday",
            constraint=models.UniqueConstraint(fields=("level", "unit_code", "day"), name="incidentday_key",
                                               opclasses=["int2_ops", "varchar_pattern_ops", "date_ops"])),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
