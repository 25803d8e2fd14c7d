-- A large risk level (重大风险) opens supervision at intake, whatever the write path: the ORM, the intake
-- fast path, the admin. Statement-level, reading the transition table: one INSERT per statement, which
-- costs an intake nothing measurable when no row is large. The demo loader fills a county's incidents
-- partition while it stands alone (no trigger fires) and runs the same statement over it
-- (layers_incident_loaded): one text, `source` a table named by code (new_rows, a partition), never a request.
CREATE OR REPLACE FUNCTION desk_large_risk_sql(source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT format($q$
    INSERT INTO layers_supervision (incident_id, kind, owner, deadline, opened_at, opened_by, reason, automatic,
                                    reminders, grid_code, reported_at, closed_at, due_at)
    SELECT n.id, 'supervised', '', n.due_at, n.reported_at, 'system', 'risk level large 重大风险', true,
           0, n.grid_code, n.reported_at, n.closed_at, n.due_at
    FROM %s n
    WHERE n.risk_level = 'large'
    ON CONFLICT (incident_id) DO NOTHING
$q$, source)
$$;

CREATE OR REPLACE FUNCTION desk_supervise_large_risk() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE desk_large_risk_sql('new_rows');
    RETURN NULL;
END
$$;
