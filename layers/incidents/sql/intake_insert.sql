-- The incident and its first event ("report") in one statement, so an intake commits in one round
-- trip. Raw SQL because the ORM cannot say INSERT ... ON CONFLICT DO NOTHING RETURNING, nor two
-- inserts in one statement. ON CONFLICT (client_id): a concurrent retry that committed first wins,
-- this statement inserts nothing and returns no row, and the caller answers with the winner's
-- incident. The placement trigger sets grid_code and dedicated_code (to what intake_context found); the
-- county (the partition the row goes to) is the first six digits of that grid, and the event's too.
WITH new AS (
    INSERT INTO layers_incident (
        client_id, location, category, subcategory, severity, source, risk_level, status, description,
        reporter_name, reporter_phone, parties, department, reported_at, accept_due_at, due_at, reported_by,
        intake_digest, building_id, assignee_id, reporter_worker_id, duplicate_of_id, limit_note, county_code)
    VALUES (
        %(client_id)s, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(category)s, %(subcategory)s,
        %(severity)s, %(source)s, %(risk_level)s, 'reported', %(description)s, %(reporter_name)s,
        %(reporter_phone)s, %(parties)s, '', %(reported_at)s, %(accept_due_at)s, %(due_at)s, %(reported_by)s,
        %(intake_digest)s, %(building_id)s, %(assignee_id)s, %(reporter_worker_id)s, %(duplicate_of_id)s,
        %(limit_note)s, %(county_code)s)
    ON CONFLICT (client_id, county_code) DO NOTHING
    RETURNING id, grid_code, dedicated_code, county_code
), event AS (
    INSERT INTO layers_incidentevent (incident_id, county_code, action, from_status, to_status, at, actor, note)
    SELECT new.id, new.county_code, 'report', '', 'reported', %(reported_at)s, %(reported_by)s, %(note)s FROM new
)
SELECT id, grid_code, dedicated_code FROM new
