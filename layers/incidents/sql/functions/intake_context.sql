-- One intake's context as a function, so that it runs with a generic plan.
-- 
-- Why a function: the context query (placement, responsible worker, building, likely duplicate,
-- reporter, time limit, replay check) runs on every intake. As a prepared statement PostgreSQL kept
-- re-planning it for each set of parameters (a "custom plan", about 0.7-1.2 ms of the database's CPU on
-- the 2-core benchmark box, more than executing it); the generic plan is as good for every input (all
-- lookups are by equality or by && on a GiST index). plan_cache_mode can only be set per session or per
-- function, and a session setting would leak into everyone's triggers; a function's SET clause holds
-- for its own statements only, and PL/pgSQL keeps the plan for the life of the connection.
-- Called from layers/incidents/sql/intake_context.sql.

-- Dropped first: CREATE OR REPLACE cannot change a result type, and a column was added since 0006
-- (from_acceptance). Nothing depends on the function, and its callers' plans are re-made on next use.
DROP FUNCTION IF EXISTS gridmap_intake_context(text, text, float8, float8, date, float8, float8, float8, text, text,
                                               timestamptz, float8, float8, float8, bigint);

CREATE OR REPLACE FUNCTION gridmap_intake_context(
    p_client_id text, p_address_code text, p_lon float8, p_lat float8, p_today date,
    p_snap_m float8, p_snap_dx float8, p_snap_dy float8, p_category text, p_severity text,
    p_dup_since timestamptz, p_dup_m float8, p_dup_dx float8, p_dup_dy float8, p_user_id bigint
) RETURNS TABLE (
    replay_id bigint, replay_digest text, replay_grid text, lon float8, lat float8, grid_code text,
    dedicated_code text, assignee_id bigint, assignee_no text, assignee_name text, building_id bigint,
    building_code text, duplicate_of_id bigint, reporter_worker_id bigint, accept_days int, handle_days int,
    extend_days int, unit text, from_acceptance boolean
) LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH given AS MATERIALIZED (
        SELECT b.id AS building_id, b.location AS geom
        FROM layers_building AS b WHERE b.address_code = p_address_code
        UNION ALL
        SELECT NULL, ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326) WHERE p_address_code IS NULL
    ), placed AS MATERIALIZED (
        -- MATERIALIZED: computed once, not once per subquery below that reads it.
        SELECT g.building_id, g.geom, gridmap_area_at(g.geom, 4) AS grid_code, gridmap_area_at(g.geom, 5) AS dedicated_code
        FROM given AS g
    ), replay AS (
        SELECT i.id, i.intake_digest, i.grid_code FROM layers_incident AS i WHERE i.client_id = p_client_id
    )
    SELECT
        (SELECT id FROM replay)::bigint AS replay_id,
        (SELECT intake_digest FROM replay)::text AS replay_digest,
        (SELECT grid_code FROM replay)::text AS replay_grid,
        ST_X(placed.geom)::float8 AS lon,
        ST_Y(placed.geom)::float8 AS lat,
        placed.grid_code::text,
        placed.dedicated_code::text,
        responsible.id::bigint AS assignee_id,
        responsible.employee_no::text AS assignee_no,
        responsible.name::text AS assignee_name,
        building.id::bigint AS building_id,
        building.address_code::text AS building_code,
        -- Same class, within dup_m metres, reported since dup_since: link to the earliest (or to what that
        -- one is itself a duplicate of, so chains of duplicates all point at one original). OFFSET 0 keeps
        -- the spatial prefilter on its own GiST index: a few rows, not a week of the class's reports.
        (SELECT COALESCE(c.duplicate_of_id, c.id) FROM (
             SELECT i.id, i.duplicate_of_id, i.category, i.reported_at, i.location FROM layers_incident AS i
             WHERE i.location && ST_Expand(placed.geom, p_dup_dx, p_dup_dy) OFFSET 0) AS c
          WHERE c.category = p_category AND c.reported_at >= p_dup_since
            AND ST_DWithin(c.location::geography, placed.geom::geography, p_dup_m)
          ORDER BY c.reported_at, c.id LIMIT 1)::bigint AS duplicate_of_id,
        (SELECT w.id FROM geo_profile AS pr JOIN grids_worker AS w ON w.employee_no = pr.worker_no
          WHERE pr.user_id = p_user_id AND pr.worker_no <> '')::bigint AS reporter_worker_id,
        tl.accept_days::int,
        tl.handle_days::int,
        tl.extend_days::int,
        tl.unit::text,
        tl.from_acceptance
    FROM (SELECT 1) AS one
    LEFT JOIN placed ON true
    -- The dedicated grid's worker first, then the basic grid's; a chief only when nobody else is assigned.
    LEFT JOIN LATERAL (
        SELECT w.id, w.employee_no, w.name
        FROM grids_assignment AS a JOIN grids_worker AS w ON w.id = a.worker_id
        WHERE a.area_code IN (placed.grid_code, placed.dedicated_code)
          AND w.active AND a.valid_from <= p_today AND (a.valid_to IS NULL OR a.valid_to > p_today)
        ORDER BY a.area_code IS NOT DISTINCT FROM placed.dedicated_code DESC, a.role = 'chief', w.employee_no
        LIMIT 1
    ) AS responsible ON true
    -- The building given by its address code; else the footprint that covers the point; else the nearest
    -- building point within snap_m metres.
    LEFT JOIN LATERAL (
        SELECT b.id, b.address_code FROM layers_building AS b WHERE b.id = placed.building_id
        UNION ALL
        (SELECT b.id, b.address_code FROM layers_building AS b
          WHERE placed.building_id IS NULL AND b.footprint && placed.geom AND ST_Covers(b.footprint, placed.geom)
          ORDER BY b.address_code LIMIT 1)
        UNION ALL
        (SELECT b.id, b.address_code FROM layers_building AS b
          WHERE placed.building_id IS NULL AND b.location && ST_Expand(placed.geom, p_snap_dx, p_snap_dy)
            AND ST_DWithin(b.location::geography, placed.geom::geography, p_snap_m)
          ORDER BY ST_Distance(b.location::geography, placed.geom::geography), b.address_code LIMIT 1)
        LIMIT 1
    ) AS building ON true
    LEFT JOIN layers_timelimit AS tl ON tl.category = p_category AND tl.severity = p_severity;
END
$fn$;
