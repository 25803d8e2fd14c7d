-- A synthetic county at 济源's scale, for benchmarks only (every area is marked illustrative).
--
-- The scenario file (scenarios/jiyuan.json) gives 16 townships (real codes), 2,696 grids (324 urban,
-- 1,238 rural, 1,134 dedicated) and ~1,900 km². Boundaries are Voronoi cells clipped to their parent,
-- so they are irregular, share edges computed by PostGIS (as real data's do) and tile exactly up to
-- rounding. Buildings, rooms, incidents and workers are placed at random, in proportions taken from
-- the seed articles (旌阳: 122,000 buildings, 327,000 rooms).
--
-- Raw SQL because a county is generated in seconds this way (set-based, inside PostGIS), and the
-- placement triggers place every building and incident exactly as in production.
-- Statements are separated by ";" at the end of a line; the runner executes them one by one.
-- Parameter: seed (integer).
SELECT setseed(0.42);

CREATE TEMP TABLE syn_county AS
WITH ring AS (
    SELECT i, 2 * pi() * i / 720 AS t FROM generate_series(0, 719) i
),
pts AS (
    SELECT i, ST_MakePoint(112.40 + 0.34 * f * cos(t), 35.085 + 0.18 * f * sin(t)) AS pt
    FROM ring, LATERAL (SELECT 1 + 0.08 * sin(5 * t) + 0.05 * sin(13 * t + 1) + 0.03 * sin(29 * t) AS f) x
),
line AS (
    SELECT ST_MakeLine(array_agg(pt ORDER BY i)) AS l FROM pts
)
SELECT ST_SetSRID(ST_Multi(ST_MakePolygon(ST_AddPoint(l, ST_StartPoint(l)))), 4326) AS geom FROM line;

-- Townships: 16 Voronoi cells; the 5 nearest the centre are the streets (街道), the rest towns (镇).
CREATE TEMP TABLE syn_township AS
WITH seeds AS (
    SELECT d.geom AS pt, row_number() OVER (ORDER BY ST_Distance(d.geom, ST_SetSRID(ST_MakePoint(112.40, 35.085), 4326))) AS k
    FROM syn_county c, ST_Dump(ST_GeneratePoints(c.geom, 16, %(seed)s)) d
),
cells AS (
    SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(pt), 0.0, ST_Expand(c.geom, 0.1)))).geom AS cell
    FROM seeds, syn_county c GROUP BY c.geom
),
codes(k, code, name) AS (VALUES
    (1, '419001001', '沁园街道'), (2, '419001002', '济水街道'), (3, '419001003', '北海街道'),
    (4, '419001004', '天坛街道'), (5, '419001005', '玉泉街道'), (6, '419001100', '克井镇'),
    (7, '419001101', '五龙口镇'), (8, '419001102', '轵城镇'), (9, '419001103', '承留镇'),
    (10, '419001104', '邵原镇'), (11, '419001105', '坡头镇'), (12, '419001106', '梨林镇'),
    (13, '419001107', '大峪镇'), (14, '419001108', '思礼镇'), (15, '419001109', '王屋镇'),
    (16, '419001110', '下冶镇'))
SELECT codes.code, codes.name, s.k <= 5 AS street,
       ST_Multi(ST_CollectionExtract(ST_Intersection(cells.cell, c.geom), 3)) AS geom
FROM seeds s JOIN cells ON ST_Intersects(cells.cell, s.pt) JOIN codes ON codes.k = s.k, syn_county c;

-- Villages: 10 communities per street, 41 villages per town (501 in all).
CREATE TEMP TABLE syn_village AS
WITH seeds AS (
    SELECT t.code AS township, t.street, d.geom AS pt
    FROM syn_township t, ST_Dump(ST_GeneratePoints(t.geom, CASE WHEN t.street THEN 10 ELSE 41 END, %(seed)s)) d
),
cells AS (
    SELECT s.township, (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.pt), 0.0, ST_Expand(t.geom, 0.05)))).geom AS cell
    FROM seeds s JOIN syn_township t ON t.code = s.township GROUP BY s.township, t.geom
),
clipped AS (
    SELECT s.township, s.street, s.pt,
           ST_Multi(ST_CollectionExtract(ST_Intersection(c.cell, t.geom), 3)) AS geom
    FROM seeds s JOIN cells c ON c.township = s.township AND ST_Intersects(c.cell, s.pt)
    JOIN syn_township t ON t.code = s.township
),
numbered AS (
    SELECT *, row_number() OVER (PARTITION BY township ORDER BY -round(ST_Y(pt)::numeric, 2), ST_X(pt)) AS k
    FROM clipped
)
SELECT township || lpad((CASE WHEN street THEN k ELSE 199 + k END)::text, 3, '0') AS code, township, street,
       geom FROM numbered WHERE NOT ST_IsEmpty(geom);

-- Basic grids: 324 urban grids over the 50 communities (6 or 7 each), 1,238 rural grids over the
-- 451 villages (2 or 3 each).
CREATE TEMP TABLE syn_grid AS
WITH counts AS (
    SELECT v.*, CASE WHEN street THEN (CASE WHEN row_number() OVER w <= 24 THEN 7 ELSE 6 END)
                     ELSE (CASE WHEN row_number() OVER w <= 336 THEN 3 ELSE 2 END) END AS n
    FROM syn_village v WINDOW w AS (PARTITION BY street ORDER BY code)
),
seeds AS (
    SELECT c.code AS village, c.street, d.geom AS pt
    FROM counts c, ST_Dump(ST_GeneratePoints(c.geom, c.n, %(seed)s)) d
),
cells AS (
    SELECT s.village, (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.pt), 0.0, ST_Expand(v.geom, 0.05)))).geom AS cell
    FROM seeds s JOIN syn_village v ON v.code = s.village GROUP BY s.village, v.geom
),
clipped AS (
    SELECT s.village, s.street, s.pt, ST_Multi(ST_CollectionExtract(ST_Intersection(c.cell, v.geom), 3)) AS geom
    FROM seeds s JOIN cells c ON c.village = s.village AND ST_Intersects(c.cell, s.pt)
    JOIN syn_village v ON v.code = s.village
)
SELECT village || lpad(row_number() OVER (PARTITION BY village ORDER BY ST_X(pt))::text, 3, '0') AS code,
       village, street, geom
FROM clipped WHERE NOT ST_IsEmpty(geom);

-- Dedicated grids: 1,134 squares of about 160 m, each inside a different basic grid (so they never
-- overlap one another).
CREATE TEMP TABLE syn_dedicated AS
WITH chosen AS (
    SELECT g.*, row_number() OVER (PARTITION BY g.village ORDER BY g.code) AS k
    FROM (SELECT * FROM syn_grid ORDER BY md5(code || %(seed)s::text) LIMIT 1134) g
)
SELECT village || '9' || lpad(k::text, 3, '0') AS code, village,
       (ARRAY['school', 'hospital', 'enterprise', 'market', 'park', 'government'])[1 + (k %% 6)] AS kind,
       ST_Multi(ST_CollectionExtract(ST_Intersection(geom, ST_Expand(ST_PointOnSurface(geom), 0.0008)), 3)) AS geom
FROM chosen;

INSERT INTO grids_area (code, name, level, kind, parent_code, boundary, valid_from, illustrative, created_at, updated_at)
SELECT '419001', '济源示范区 (synthetic)', 1, 'county', NULL, geom, DATE '2020-01-01', true, now(), now() FROM syn_county
UNION ALL
SELECT code, name, 2, CASE WHEN street THEN 'street' ELSE 'town' END, '419001', geom, DATE '2020-01-01', true, now(), now()
FROM syn_township
UNION ALL
SELECT code, CASE WHEN street THEN '社区' ELSE '村' END || right(code, 3), 3,
       CASE WHEN street THEN 'community' ELSE 'village' END, township, geom, DATE '2020-01-01', true, now(), now()
FROM syn_village
UNION ALL
SELECT code, '网格' || right(code, 6), 4, CASE WHEN street THEN 'urban' ELSE 'rural' END, village, geom,
       DATE '2020-01-01', true, now(), now()
FROM syn_grid
UNION ALL
SELECT code, '专属网格' || right(code, 7), 5, kind, village, geom, DATE '2020-01-01', true, now(), now()
FROM syn_dedicated;

INSERT INTO grids_boundaryversion (area_code, boundary, valid_from, reason, author, recorded_at)
SELECT code, boundary, valid_from, 'synthetic benchmark county', 'bench/grids', now() FROM grids_area;

-- Buildings: about 220 per urban grid, 40 per rural grid (120,000 in all); the triggers place them.
INSERT INTO layers_building (address_code, name, street, door_plate, use, floors, location)
SELECT g.village || lpad(row_number() OVER (PARTITION BY g.village ORDER BY g.code, d.path)::text, 5, '0'),
       '', '', '', CASE WHEN g.street THEN 'residential' ELSE 'rural_house' END,
       CASE WHEN g.street THEN 6 + (d.path[1] %% 20) ELSE 1 + (d.path[1] %% 3) END, d.geom
FROM syn_grid g, ST_Dump(ST_GeneratePoints(g.geom, CASE WHEN g.street THEN 220 ELSE 40 END, %(seed)s)) d;

-- Rooms: 4 per urban building, 1 per rural house (about 330,000).
INSERT INTO layers_room (building_id, unit, floor, number, address_code, households, residents)
SELECT b.id, 1, r, '101', b.address_code || '01' || lpad(r::text, 3, '0') || '101', 1, 1 + (b.id %% 4)
FROM layers_building b, generate_series(1, CASE WHEN b.use = 'residential' THEN 4 ELSE 1 END) r;

-- Incidents: 60,000 over two years at buildings, 8 %% still open; the triggers place them.
INSERT INTO layers_incident (client_id, location, category, subcategory, severity, source, risk_level, status,
                             description, reporter_name, reporter_phone, parties, department, reported_at, due_at,
                             county_code)
SELECT 'syn-' || i, b.location,
       (ARRAY['dispute', 'petition', 'consultation', 'safety_hazard', 'livelihood', 'other'])[1 + (i %% 6)], '',
       'general', 'grid_discovery', '',
       CASE WHEN i %% 25 < 2 THEN (ARRAY['reported', 'accepted', 'dispatched', 'in_progress'])[1 + (i %% 4)]
            ELSE 'closed' END,
       '', '', '', '', '', now() - (i %% 730) * interval '1 day', now() - (i %% 730) * interval '1 day' + interval '1 day',
       coalesce(left(b.grid_code, 6), '')
FROM generate_series(1, 60000) i
JOIN (SELECT location, grid_code, row_number() OVER (ORDER BY id) - 1 AS k FROM layers_building) b
  ON b.k = (i::bigint * 7919) %% (SELECT count(*) FROM layers_building);

-- Workers: one per basic and dedicated grid, plus 304 grid chiefs (3,000 in all, as in 济源).
INSERT INTO grids_worker (employee_no, name, role, phone, active)
SELECT 'W' || code, '网格员' || right(code, 6), CASE WHEN level = 5 THEN 'dedicated' ELSE 'full_time' END, '', true
FROM grids_area WHERE level IN (4, 5)
UNION ALL
SELECT 'C' || code, '网格长' || right(code, 6), 'chief', '', true
FROM (SELECT code FROM grids_area WHERE level = 4 ORDER BY md5(code) LIMIT 304) c;

INSERT INTO grids_assignment (worker_id, area_code, role, valid_from)
SELECT id, substr(employee_no, 2), role, DATE '2020-01-01' FROM grids_worker;

ANALYZE;
