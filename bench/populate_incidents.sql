-- Synthetic incidents for benchmarks: %(count)s rows spread over every current basic grid (points drawn
-- inside each grid's boundary), reported over the last %(days)s days, placed by the same trigger as any
-- write. Raw SQL because a million rows through the ORM would take an hour; server-side generation
-- takes minutes. Rows are marked reported_by = 'bench-synthetic' so they can be removed.
--
-- Shape: 80/15/5 %% general/larger/major (1/7/30-day limits); 97 %% of matters whose time has come are
-- closed, 85 %% of them on time; satisfaction 3-5 on most closed ones; each assigned to a worker of
-- its grid when the grid has one.
WITH grids AS (
    SELECT code, boundary, row_number() OVER (ORDER BY code) AS n, count(*) OVER () AS total
    FROM grids_area WHERE level = 4 AND valid_to IS NULL
), worker AS (
    SELECT DISTINCT ON (area_code) area_code, worker_id
    FROM grids_assignment ORDER BY area_code, role = 'chief', worker_id
), points AS (
    SELECT g.code, (ST_Dump(ST_GeneratePoints(g.boundary,
               (%(count)s / g.total + CASE WHEN g.n <= %(count)s %% g.total THEN 1 ELSE 0 END)::int))).geom AS geom
    FROM grids AS g
), drawn AS (
    SELECT p.code, p.geom,
           now() - random() * make_interval(days => %(days)s) AS reported_at,
           (ARRAY['dispute', 'dispute', 'dispute', 'livelihood', 'livelihood', 'safety_hazard', 'consultation',
                  'petition', 'other'])[1 + floor(random() * 9)::int] AS category,
           CASE WHEN random() < 0.80 THEN 1 WHEN random() < 0.75 THEN 7 ELSE 30 END AS limit_days,
           random() AS fate, random() AS speed, random() AS mood
    FROM points AS p
), timed AS (
    SELECT d.*, d.reported_at + make_interval(days => d.limit_days) AS due_at,
           d.reported_at + make_interval(days => d.limit_days)
               * CASE WHEN d.speed < 0.85 THEN d.speed / 0.85 ELSE 1 + (d.speed - 0.85) * 2 END AS close_at
    FROM drawn AS d
)
INSERT INTO layers_incident (
    location, category, subcategory, severity, source, risk_level, status, description, reporter_name,
    reporter_phone, parties, department, reported_at, accepted_at, due_at, accept_due_at, closed_at,
    satisfaction, assignee_id, reported_by, intake_digest, county_code)
SELECT t.geom, t.category, '', CASE t.limit_days WHEN 1 THEN 'general' WHEN 7 THEN 'larger' ELSE 'major' END,
       'grid_discovery', '',
       CASE WHEN t.fate < 0.97 AND t.close_at < now() THEN 'closed'
            ELSE (ARRAY['reported', 'accepted', 'dispatched', 'in_progress'])[1 + floor(t.mood * 4)::int] END,
       '', '', '', '', '', t.reported_at, t.reported_at + interval '1 hour', t.due_at, t.reported_at + interval '1 day',
       CASE WHEN t.fate < 0.97 AND t.close_at < now() THEN t.close_at END,
       CASE WHEN t.fate < 0.97 AND t.close_at < now() AND t.mood < 0.8 THEN 3 + floor(t.mood * 3)::int END,
       w.worker_id, 'bench-synthetic', '',
       -- The partition: named before the row is routed, by the placement trigger's own rule.
       coalesce(left(gridmap_area_at(t.geom, 4), 6), '')
FROM timed AS t LEFT JOIN worker AS w ON w.area_code = t.code
