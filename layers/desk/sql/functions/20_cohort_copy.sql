-- The desk tables' copy of their incident's grid code, report, closing and due times (CohortCopy in
-- layers/desk/models.py): what the desk's figures select and count by without reading the incident
-- table. Filled on insert (unless the writer gave it, as the demo loader does from the same rows) and
-- kept on every update of an incident that changes one of them.

CREATE OR REPLACE FUNCTION desk_cohort_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reported_at IS NULL THEN
        SELECT i.grid_code, i.reported_at, i.closed_at, i.due_at
        INTO NEW.grid_code, NEW.reported_at, NEW.closed_at, NEW.due_at
        FROM layers_incident i WHERE i.id = NEW.incident_id;
    END IF;
    RETURN NEW;
END
$$;

-- Statement-level, over the transition tables: a loop step's one row costs four index probes; only
-- rows whose copied columns changed are written.
CREATE OR REPLACE FUNCTION desk_cohort_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
                   WHERE (n.grid_code, n.reported_at, n.closed_at, n.due_at)
                         IS DISTINCT FROM (o.grid_code, o.reported_at, o.closed_at, o.due_at)) THEN
        RETURN NULL;
    END IF;
    FOREACH t IN ARRAY ARRAY['layers_dispatch', 'layers_supervision', 'layers_escalation', 'layers_mediation'] LOOP
        EXECUTE format($q$
            UPDATE %I d SET grid_code = n.grid_code, reported_at = n.reported_at, closed_at = n.closed_at,
                            due_at = n.due_at
            FROM new_rows n
            WHERE d.incident_id = n.id
              AND (d.grid_code, d.reported_at, d.closed_at, d.due_at)
                  IS DISTINCT FROM (n.grid_code, n.reported_at, n.closed_at, n.due_at)$q$, t);
    END LOOP;
    RETURN NULL;
END
$$;
