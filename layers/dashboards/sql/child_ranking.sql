-- A unit's child areas (townships of a county, villages of a township, basic grids of a village) with
-- the number of workers holding a basic grid in each today. Dedicated grids overlap basic grids, so
-- they are left out of a village's table: its rows add up to the village.
WITH kids AS (
    SELECT a.code, a.name, a.level
    FROM grids_area a
    WHERE a.parent_code = %(code)s AND a.level <= 4 AND a.valid_to IS NULL
),
staff AS (
    SELECT left(s.area_code, %(len)s) AS code, count(DISTINCT s.worker_id)::int AS workers
    FROM grids_assignment s JOIN grids_worker w ON w.id = s.worker_id
    WHERE w.active AND s.area_code LIKE %(prefix)s AND length(s.area_code) = 15
      AND s.valid_from <= current_date AND (s.valid_to IS NULL OR s.valid_to > current_date)
    GROUP BY 1
)
SELECT k.code, k.name, k.level, coalesce(st.workers, 0) AS workers
FROM kids k LEFT JOIN staff st USING (code)
ORDER BY k.code
