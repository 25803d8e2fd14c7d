-- The chain of areas of every loaded point, in one pass.
--
-- Raw SQL because a million points must be located inside PostGIS (COPY in, one join, COPY out);
-- through the ORM each point would be a round trip. {points} and {parts} are identifiers: the
-- loaded points (with a GiST index), and grids_areapart (today) or a table of the boundaries valid on
-- a past date cut the same way.
--
-- The join is driven by the parts: for each part the index of the points returns those in its box,
-- and ST_Intersects tests them against the same part one after another, so PostGIS prepares the
-- part once (its point-in-polygon cache) instead of once per point. Probing the parts' index once
-- per point instead is three times slower at a million points.
-- The lowest code of a level wins on a shared edge, as in gridmap_area_at(). Points in no area at
-- all are not in the result.
SELECT p.n,
       min(a.area_code) FILTER (WHERE a.level = 1),
       min(a.area_code) FILTER (WHERE a.level = 2),
       min(a.area_code) FILTER (WHERE a.level = 3),
       min(a.area_code) FILTER (WHERE a.level = 4),
       string_agg(DISTINCT a.area_code, ';') FILTER (WHERE a.level = 5)
FROM {parts} a
JOIN {points} p ON p.geom && a.geom AND ST_Intersects(a.geom, p.geom)
GROUP BY p.n
ORDER BY p.n
