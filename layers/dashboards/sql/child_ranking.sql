-- A unit's child areas (townships of a county, villages of a township, basic grids of a village),
-- each with its figures for the period and its current workers. Dedicated grids overlap basic
-- grids, so they are left out of a village's table: its rows add up to the village.
WITH kids AS (
    SELECT a.code, a.name, a.level
    FROM grids_area a
    WHERE a.parent_code = %(code)s AND a.level <= 4 AND a.valid_to IS NULL
),
figures AS (
    SELECT left(i.grid_code, %(len)s) AS code,
           {figures}
    FROM layers_incident i
    WHERE i.reported_at >= %(since)s AND i.reported_at < %(until)s AND i.grid_code LIKE %(prefix)s{category}
    GROUP BY 1
),
staff AS (
    SELECT left(s.area_code, %(len)s) AS code, count(DISTINCT s.worker_id)::int AS workers
    FROM grids_assignment s JOIN grids_worker w ON w.id = s.worker_id
    WHERE w.active AND s.area_code LIKE %(prefix)s AND length(s.area_code) = 15
      AND s.valid_from <= current_date AND (s.valid_to IS NULL OR s.valid_to > current_date)
    GROUP BY 1
)
SELECT k.code, k.name, k.level, coalesce(st.workers, 0) AS workers,
       coalesce(f.intake, 0) AS intake, coalesce(f.open, 0) AS open, coalesce(f.overdue, 0) AS overdue,
       coalesce(f.closed, 0) AS closed, coalesce(f.on_time, 0) AS on_time, coalesce(f.rated, 0) AS rated,
       coalesce(f.satisfied, 0) AS satisfied, f.satisfaction_mean, f.hours_to_close
FROM kids k LEFT JOIN figures f USING (code) LEFT JOIN staff st USING (code)
ORDER BY k.code
