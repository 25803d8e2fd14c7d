"""The daily rollup (layers_incidentday) kept by statement-level triggers instead of row triggers.

Why: the row triggers of 0004 ran a PL/pgSQL upsert per incident, so a bulk load of a million
incidents (load_demo for full-scale 济源, bench/incidents --populate) made a million upserts — minutes
on the 2-core machine, most of the demo loader's budget. Statement-level triggers with transition
tables add each statement's rows up per (village, day) and upsert once per group: the same cost for a
one-row intake, one set-based pass for a load. An UPDATE counts only the rows whose counted columns
changed (so accept/dispatch/start cost a join on one row). The tiles' rollups work the same way.
Transition tables cannot be combined with UPDATE OF column lists, hence the join.
"""

from django.db import migrations

COLUMNS = "village_code, day, intake, closed, closed_on_time, close_seconds, rated, satisfied, satisfaction_sum"


def upsert(sign: str, rows: str) -> str:
    """Add (sign '') or subtract (sign '-') the contribution of `rows`, grouped per village and UTC day."""
    return f"""
        INSERT INTO layers_incidentday AS d ({COLUMNS})
        SELECT left(r.grid_code, 12), (r.reported_at AT TIME ZONE 'UTC')::date,
               {sign}count(*), {sign}count(r.closed_at),
               {sign}count(*) FILTER (WHERE r.closed_at IS NOT NULL AND (r.due_at IS NULL OR r.closed_at <= r.due_at)),
               {sign}COALESCE(sum(extract(epoch FROM r.closed_at - r.reported_at)), 0),
               {sign}count(r.satisfaction), {sign}count(*) FILTER (WHERE r.satisfaction >= 4),
               {sign}COALESCE(sum(r.satisfaction), 0)
        FROM {rows} AS r
        WHERE r.grid_code IS NOT NULL
        GROUP BY 1, 2
        ON CONFLICT (village_code, day) DO UPDATE SET
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

FORWARD = f"""
DROP TRIGGER IF EXISTS incident_day_insert_delete ON layers_incident;
DROP TRIGGER IF EXISTS incident_day_update ON layers_incident;
DROP FUNCTION IF EXISTS gridmap_incident_day_sync();
DROP FUNCTION IF EXISTS gridmap_incident_day_add(varchar, timestamptz, timestamptz, timestamptz, smallint, integer);

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

CREATE TRIGGER incident_day_insert AFTER INSERT ON layers_incident
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gridmap_incident_day_rows();
CREATE TRIGGER incident_day_delete AFTER DELETE ON layers_incident
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gridmap_incident_day_rows();
CREATE TRIGGER incident_day_update AFTER UPDATE ON layers_incident
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION gridmap_incident_day_rows();
"""

# Back to 0004's row triggers (their functions as 0004 defined them).
BACKWARD = """
DROP TRIGGER IF EXISTS incident_day_insert ON layers_incident;
DROP TRIGGER IF EXISTS incident_day_delete ON layers_incident;
DROP TRIGGER IF EXISTS incident_day_update ON layers_incident;
DROP FUNCTION IF EXISTS gridmap_incident_day_rows();

CREATE OR REPLACE FUNCTION gridmap_incident_day_add(
    grid varchar, reported timestamptz, closed timestamptz, due timestamptz, rating smallint, sign integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF grid IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO layers_incidentday AS d (village_code, day, intake, closed, closed_on_time, close_seconds,
                                         rated, satisfied, satisfaction_sum)
    VALUES (left(grid, 12), (reported AT TIME ZONE 'UTC')::date, sign,
            sign * (closed IS NOT NULL)::int,
            sign * (closed IS NOT NULL AND (due IS NULL OR closed <= due))::int,
            sign * COALESCE(extract(epoch FROM closed - reported), 0),
            sign * (rating IS NOT NULL)::int,
            sign * COALESCE(rating >= 4, false)::int,
            sign * COALESCE(rating, 0))
    ON CONFLICT (village_code, day) DO UPDATE SET
        intake = d.intake + EXCLUDED.intake,
        closed = d.closed + EXCLUDED.closed,
        closed_on_time = d.closed_on_time + EXCLUDED.closed_on_time,
        close_seconds = d.close_seconds + EXCLUDED.close_seconds,
        rated = d.rated + EXCLUDED.rated,
        satisfied = d.satisfied + EXCLUDED.satisfied,
        satisfaction_sum = d.satisfaction_sum + EXCLUDED.satisfaction_sum;
END $$;

CREATE OR REPLACE FUNCTION gridmap_incident_day_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM gridmap_incident_day_add(OLD.grid_code, OLD.reported_at, OLD.closed_at, OLD.due_at,
                                         OLD.satisfaction, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM gridmap_incident_day_add(NEW.grid_code, NEW.reported_at, NEW.closed_at, NEW.due_at,
                                         NEW.satisfaction, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER incident_day_insert_delete AFTER INSERT OR DELETE ON layers_incident
FOR EACH ROW EXECUTE FUNCTION gridmap_incident_day_sync();
CREATE TRIGGER incident_day_update AFTER UPDATE ON layers_incident
FOR EACH ROW WHEN (OLD.grid_code IS DISTINCT FROM NEW.grid_code OR OLD.reported_at IS DISTINCT FROM NEW.reported_at
                   OR OLD.closed_at IS DISTINCT FROM NEW.closed_at OR OLD.due_at IS DISTINCT FROM NEW.due_at
                   OR OLD.satisfaction IS DISTINCT FROM NEW.satisfaction)
EXECUTE FUNCTION gridmap_incident_day_sync();
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0007_text_db_defaults")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
