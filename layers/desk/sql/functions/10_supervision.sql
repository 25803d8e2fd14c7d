-- A large risk level (重大风险) opens supervision at intake, whatever the write path: the ORM, the intake
-- fast path, the admin. Statement-level, reading the transition table: one INSERT per statement, which
-- costs an intake nothing measurable when no row is large. The demo loader writes its supervision rows
-- itself (its incident COPY goes to a staging table, not through this trigger).
CREATE OR REPLACE FUNCTION desk_supervise_large_risk() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO layers_supervision (incident_id, kind, owner, deadline, opened_at, opened_by, reason, automatic,
                                    reminders, grid_code, reported_at, closed_at, due_at)
    SELECT n.id, 'supervised', '', n.due_at, n.reported_at, 'system', 'risk level large 重大风险', true,
           0, n.grid_code, n.reported_at, n.closed_at, n.due_at
    FROM new_rows n
    WHERE n.risk_level = 'large'
    ON CONFLICT (incident_id) DO NOTHING;
    RETURN NULL;
END
$$;
