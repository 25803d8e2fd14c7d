-- The weekly ranking of a county's grid workers, for a week (k = 0) and the week before (k = 1).
--
-- Who answers for an incident: its assignee, or else every worker holding its basic or dedicated
-- grid. Per worker and week:
--   reported  incidents the worker reported (网格发现上报) that week
--   on_time   incidents answered for, closed that week no later than their due time
--   overdue   incidents answered for whose due time fell in that week (and has passed) without a
--             closure by then: each missed deadline counts once, in the week it was missed
--   score     reported + on_time - overdue
-- Ranks break ties by score, then fewer overdue, more on time, more reported, then employee number,
-- so a ranking is always the same for the same data.
WITH weeks(k, starts, ends) AS (
    VALUES (0, %(w_start)s::timestamptz, %(w_end)s::timestamptz),
           (1, %(w_prev)s::timestamptz, %(w_start)s::timestamptz)
),
staff AS (
    SELECT DISTINCT ON (w.id) w.id, w.employee_no, w.name, w.role, s.area_code AS grid,
           left(s.area_code, 9) AS town
    FROM grids_worker w JOIN grids_assignment s ON s.worker_id = w.id
    WHERE w.active AND s.area_code LIKE %(county)s
      AND s.valid_from <= %(last_day)s AND (s.valid_to IS NULL OR s.valid_to > %(last_day)s)
    ORDER BY w.id, length(s.area_code), s.area_code
),
relevant AS (
    SELECT i.id, i.grid_code, i.dedicated_code, i.assignee_id, i.reporter_worker_id, i.status,
           i.reported_at, i.closed_at, i.due_at
    FROM layers_incident i
    WHERE i.grid_code LIKE %(county)s
      AND ((i.reported_at >= %(w_prev)s AND i.reported_at < %(w_end)s)
           OR (i.status = 'closed' AND i.closed_at >= %(w_prev)s AND i.closed_at < %(w_end)s)
           OR (i.due_at >= %(w_prev)s AND i.due_at < %(w_end)s))
),
answers AS (
    SELECT r.id, r.assignee_id AS worker_id FROM relevant r WHERE r.assignee_id IS NOT NULL
    UNION
    SELECT r.id, s.worker_id
    FROM relevant r JOIN grids_assignment s ON s.area_code IN (r.grid_code, r.dedicated_code)
    WHERE r.assignee_id IS NULL
      AND s.valid_from <= %(last_day)s AND (s.valid_to IS NULL OR s.valid_to > %(last_day)s)
),
events AS (
    SELECT r.reporter_worker_id AS worker_id, wk.k, 1 AS reported, 0 AS on_time, 0 AS overdue
    FROM relevant r JOIN weeks wk ON r.reported_at >= wk.starts AND r.reported_at < wk.ends
    WHERE r.reporter_worker_id IS NOT NULL
    UNION ALL
    SELECT a.worker_id, wk.k, 0, 1, 0
    FROM answers a JOIN relevant r ON r.id = a.id
    JOIN weeks wk ON r.closed_at >= wk.starts AND r.closed_at < wk.ends
    WHERE r.status = 'closed' AND r.closed_at <= r.due_at
    UNION ALL
    SELECT a.worker_id, wk.k, 0, 0, 1
    FROM answers a JOIN relevant r ON r.id = a.id
    JOIN weeks wk ON r.due_at >= wk.starts AND r.due_at < least(wk.ends, now())
    WHERE NOT coalesce(r.status = 'closed' AND r.closed_at <= r.due_at, false)
),
totals AS (
    SELECT st.id, st.employee_no, st.name, st.role, st.grid, st.town, wk.k,
           coalesce(sum(e.reported), 0)::int AS reported, coalesce(sum(e.on_time), 0)::int AS on_time,
           coalesce(sum(e.overdue), 0)::int AS overdue,
           (coalesce(sum(e.reported), 0) + coalesce(sum(e.on_time), 0) - coalesce(sum(e.overdue), 0))::int AS score
    FROM staff st CROSS JOIN weeks wk LEFT JOIN events e ON e.worker_id = st.id AND e.k = wk.k
    GROUP BY st.id, st.employee_no, st.name, st.role, st.grid, st.town, wk.k
),
ranked AS (
    SELECT t.*,
           row_number() OVER (PARTITION BY t.k ORDER BY t.score DESC, t.overdue, t.on_time DESC, t.reported DESC,
                              t.employee_no) AS rank_county,
           row_number() OVER (PARTITION BY t.k, t.town ORDER BY t.score DESC, t.overdue, t.on_time DESC,
                              t.reported DESC, t.employee_no) AS rank_town,
           count(*) OVER (PARTITION BY t.k) AS n_county,
           count(*) OVER (PARTITION BY t.k, t.town) AS n_town
    FROM totals t
),
-- Last week's score and ranks beside this week's, by a window over each worker's two rows (a self-join
-- of the ranked rows is planned as a nested loop over thousands of workers).
both_weeks AS (
    SELECT r.*,
           max(r.score) FILTER (WHERE r.k = 1) OVER w AS prev_score,
           max(r.rank_county) FILTER (WHERE r.k = 1) OVER w AS prev_rank_county,
           max(r.rank_town) FILTER (WHERE r.k = 1) OVER w AS prev_rank_town
    FROM ranked r
    WINDOW w AS (PARTITION BY r.id)
)
SELECT c.id, c.employee_no, c.name, c.role, c.grid, c.town, g.name AS grid_name, tw.name AS town_name,
       c.reported, c.on_time, c.overdue, c.score, c.rank_county::int, c.rank_town::int,
       c.n_county::int, c.n_town::int, c.prev_score, c.prev_rank_county::int, c.prev_rank_town::int
FROM both_weeks c
LEFT JOIN grids_area g ON g.code = c.grid LEFT JOIN grids_area tw ON tw.code = c.town
WHERE c.k = 0 AND c.grid LIKE %(prefix)s
ORDER BY c.rank_county
