-- Everything an intake needs to know about its point, in one round trip: the basic and dedicated grid
-- (the same gridmap_area_at() the placement trigger uses, so the answer is the trigger's), the
-- responsible worker, the building under or next to the point, the earliest likely duplicate, the
-- reporter's worker record and the time limit. Raw SQL because as ORM queries these are six round
-- trips, and round trips are most of what an intake costs (see bench/incidents).
--
-- Parameters: lon, lat, today, building_id (null unless given by address code), snap_m, snap_dx,
-- snap_dy, category, severity, dup_since, dup_m, dup_dx, dup_dy, user_id.
-- The *_dx/*_dy are the radius in degrees at this latitude, for an index-friendly && prefilter
-- before the exact distance on the geography.
WITH placed AS (
    SELECT p.geom, gridmap_area_at(p.geom, 4) AS grid_code, gridmap_area_at(p.geom, 5) AS dedicated_code
    FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS geom) AS p
)
SELECT
    placed.grid_code,
    placed.dedicated_code,
    -- The dedicated grid's worker first, then the basic grid's; a chief only when nobody else is assigned.
    (SELECT a.worker_id
       FROM grids_assignment AS a JOIN grids_worker AS w ON w.id = a.worker_id
      WHERE a.area_code IN (placed.grid_code, placed.dedicated_code)
        AND w.active AND a.valid_from <= %(today)s AND (a.valid_to IS NULL OR a.valid_to > %(today)s)
      ORDER BY a.area_code IS NOT DISTINCT FROM placed.dedicated_code DESC, a.role = 'chief', w.employee_no
      LIMIT 1) AS assignee_id,
    -- A building given by its address code; else the footprint that covers the point; else the
    -- nearest building point within snap_m metres.
    COALESCE(
        %(building_id)s::bigint,
        (SELECT b.id FROM layers_building AS b
          WHERE b.footprint && placed.geom AND ST_Covers(b.footprint, placed.geom)
          ORDER BY b.address_code LIMIT 1),
        (SELECT b.id FROM layers_building AS b
          WHERE b.location && ST_Expand(placed.geom, %(snap_dx)s, %(snap_dy)s)
            AND ST_DWithin(b.location::geography, placed.geom::geography, %(snap_m)s)
          ORDER BY ST_Distance(b.location::geography, placed.geom::geography), b.address_code LIMIT 1)
    ) AS building_id,
    -- Same class, within dup_m metres, reported since dup_since: link to the earliest (or to what
    -- that one is itself a duplicate of, so chains of duplicates all point at one original).
    (SELECT COALESCE(i.duplicate_of_id, i.id) FROM layers_incident AS i
      WHERE i.category = %(category)s AND i.reported_at >= %(dup_since)s
        AND i.location && ST_Expand(placed.geom, %(dup_dx)s, %(dup_dy)s)
        AND ST_DWithin(i.location::geography, placed.geom::geography, %(dup_m)s)
      ORDER BY i.reported_at, i.id LIMIT 1) AS duplicate_of_id,
    (SELECT w.id FROM geo_profile AS pr JOIN grids_worker AS w ON w.employee_no = pr.worker_no
      WHERE pr.user_id = %(user_id)s AND pr.worker_no <> '') AS reporter_worker_id,
    tl.accept_days,
    tl.handle_days,
    tl.extend_days,
    tl.unit
FROM placed
LEFT JOIN layers_timelimit AS tl ON tl.category = %(category)s AND tl.severity = %(severity)s
