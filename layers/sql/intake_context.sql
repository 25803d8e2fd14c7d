-- Everything an intake needs to know, in one round trip: the report this client id already made (a
-- retry), the point (given, or the building's for an address code), its basic and dedicated grid (the
-- same gridmap_area_at() the placement trigger uses, so the answer is the trigger's), the responsible
-- worker, the building under or next to the point, the earliest likely duplicate, the reporter's
-- worker record and the time limit. Raw SQL because as ORM queries this is eight round trips, and
-- round trips are most of what an intake costs (bench/incidents).
--
-- Parameters: client_id, address_code, lon, lat (null when by address code), today, snap_m, snap_dx,
-- snap_dy, category, severity, dup_since, dup_m, dup_dx, dup_dy, user_id. The *_dx/*_dy are the radius
-- in degrees at this latitude, for an index-friendly && prefilter before the exact geography distance.
WITH given AS MATERIALIZED (
    SELECT b.id AS building_id, b.location AS geom
    FROM layers_building AS b WHERE b.address_code = %(address_code)s
    UNION ALL
    SELECT NULL, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) WHERE %(address_code)s::text IS NULL
), placed AS MATERIALIZED (
    -- MATERIALIZED: computed once, not once per subquery below that reads it.
    SELECT g.building_id, g.geom, gridmap_area_at(g.geom, 4) AS grid_code, gridmap_area_at(g.geom, 5) AS dedicated_code
    FROM given AS g
), replay AS (
    SELECT i.id, i.intake_digest, i.grid_code FROM layers_incident AS i WHERE i.client_id = %(client_id)s
)
SELECT
    (SELECT id FROM replay) AS replay_id,
    (SELECT intake_digest FROM replay) AS replay_digest,
    (SELECT grid_code FROM replay) AS replay_grid,
    ST_X(placed.geom) AS lon,
    ST_Y(placed.geom) AS lat,
    placed.grid_code,
    placed.dedicated_code,
    responsible.id AS assignee_id,
    responsible.employee_no AS assignee_no,
    responsible.name AS assignee_name,
    building.id AS building_id,
    building.address_code AS building_code,
    -- Same class, within dup_m metres, reported since dup_since: link to the earliest (or to what that
    -- one is itself a duplicate of, so chains of duplicates all point at one original). OFFSET 0 keeps
    -- the spatial prefilter on its own GiST index: a few rows, not a week of the class's reports.
    (SELECT COALESCE(c.duplicate_of_id, c.id) FROM (
         SELECT i.id, i.duplicate_of_id, i.category, i.reported_at, i.location FROM layers_incident AS i
         WHERE i.location && ST_Expand(placed.geom, %(dup_dx)s, %(dup_dy)s) OFFSET 0) AS c
      WHERE c.category = %(category)s AND c.reported_at >= %(dup_since)s
        AND ST_DWithin(c.location::geography, placed.geom::geography, %(dup_m)s)
      ORDER BY c.reported_at, c.id LIMIT 1) AS duplicate_of_id,
    (SELECT w.id FROM geo_profile AS pr JOIN grids_worker AS w ON w.employee_no = pr.worker_no
      WHERE pr.user_id = %(user_id)s AND pr.worker_no <> '') AS reporter_worker_id,
    tl.accept_days,
    tl.handle_days,
    tl.extend_days,
    tl.unit
FROM (SELECT 1) AS one
LEFT JOIN placed ON true
-- The dedicated grid's worker first, then the basic grid's; a chief only when nobody else is assigned.
LEFT JOIN LATERAL (
    SELECT w.id, w.employee_no, w.name
    FROM grids_assignment AS a JOIN grids_worker AS w ON w.id = a.worker_id
    WHERE a.area_code IN (placed.grid_code, placed.dedicated_code)
      AND w.active AND a.valid_from <= %(today)s AND (a.valid_to IS NULL OR a.valid_to > %(today)s)
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
      WHERE placed.building_id IS NULL AND b.location && ST_Expand(placed.geom, %(snap_dx)s, %(snap_dy)s)
        AND ST_DWithin(b.location::geography, placed.geom::geography, %(snap_m)s)
      ORDER BY ST_Distance(b.location::geography, placed.geom::geography), b.address_code LIMIT 1)
    LIMIT 1
) AS building ON true
LEFT JOIN layers_timelimit AS tl ON tl.category = %(category)s AND tl.severity = %(severity)s
