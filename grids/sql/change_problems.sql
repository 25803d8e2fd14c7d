-- The coverage problems a planned change would create among the grids of one village.
--
-- Raw SQL for the same reasons as coverage.sql (fixed-precision overlay, ST_Dump, sibling pairs);
-- it compares each changed grid's planned boundary with its current one, so problems that were
-- already there before the change are not blamed on it.
--
-- An intersection of two polygons may hold lines and points too (where they only touch); GEOS
-- refuses such a mixed collection as input to another fixed-precision overlay, so every result that
-- feeds one is cut down to its polygons first (ST_CollectionExtract(..., 3)).
-- Parameters: parent (village code), level (4), codes text[], befores bytea[] and afters bytea[]
-- (EWKB, NULL for a grid that is created or retired), grid, noise, sliver, today.
WITH plan AS (
    SELECT u.code, ST_GeomFromEWKB(u.b) AS before, ST_GeomFromEWKB(u.a) AS after
    FROM unnest(%(codes)s::text[], %(befores)s::bytea[], %(afters)s::bytea[]) AS u(code, b, a)
),
parent AS (
    SELECT boundary AS geom FROM grids_area WHERE code = %(parent)s
),
empty AS (
    SELECT ST_SetSRID('MULTIPOLYGON EMPTY'::geometry, 4326) AS geom
),
after_all AS (
    SELECT code, after AS geom, before, true AS planned FROM plan WHERE after IS NOT NULL
    UNION ALL
    SELECT a.code, a.boundary, a.boundary, false
    FROM grids_area a
    WHERE a.parent_code = %(parent)s AND a.level = %(level)s AND a.code <> ALL(%(codes)s)
      AND a.valid_from <= %(today)s AND (a.valid_to IS NULL OR a.valid_to > %(today)s)
),
gap_pieces AS (
    SELECT 'gap'::text AS kind, ARRAY[]::text[] AS codes, d.geom AS piece
    FROM (SELECT ST_Union(before, %(grid)s) AS geom FROM plan WHERE before IS NOT NULL) b
    CROSS JOIN LATERAL (
        SELECT ST_Union(o.geom, %(grid)s) AS geom FROM after_all o WHERE o.geom && b.geom
    ) a
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(
        CASE WHEN a.geom IS NULL THEN b.geom ELSE ST_Difference(b.geom, a.geom, %(grid)s) END, 3)) d
    WHERE b.geom IS NOT NULL
),
overlap_pieces AS (
    SELECT 'overlap'::text AS kind, ARRAY[LEAST(p.code, o.code), GREATEST(p.code, o.code)] AS codes, d.geom AS piece
    FROM plan p
    JOIN after_all o ON o.code <> p.code AND (NOT o.planned OR p.code < o.code)
                    AND p.after && o.geom AND ST_Intersects(p.after, o.geom)
    CROSS JOIN empty e
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(
        ST_CollectionExtract(ST_Intersection(p.after, o.geom, %(grid)s), 3),
        COALESCE(ST_CollectionExtract(ST_Intersection(p.before, o.before, %(grid)s), 3), e.geom), %(grid)s), 3)) d
    WHERE p.after IS NOT NULL
),
outside_pieces AS (
    SELECT 'outside'::text AS kind, ARRAY[p.code] AS codes, d.geom AS piece
    FROM plan p CROSS JOIN parent v CROSS JOIN empty e
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(
        ST_CollectionExtract(ST_Difference(p.after, v.geom, %(grid)s), 3), COALESCE(p.before, e.geom), %(grid)s), 3)) d
    WHERE p.after IS NOT NULL AND NOT ST_CoveredBy(p.after, v.geom)
),
overlay_problems AS (
    SELECT * FROM (
        SELECT * FROM gap_pieces UNION ALL SELECT * FROM overlap_pieces UNION ALL SELECT * FROM outside_pieces
    ) x
    WHERE NOT ST_IsEmpty(ST_Buffer(piece, -%(noise)s, 'quad_segs=1'))
),
part_problems AS (
    SELECT 'part'::text AS kind, ARRAY[p.code] AS codes, d.geom AS piece
    FROM plan p CROSS JOIN LATERAL ST_Dump(p.after) d
    WHERE p.after IS NOT NULL AND ST_Area(d.geom) < %(sliver)s / 5e9
),
measured AS (
    SELECT kind, codes, piece, ST_Area(piece::geography) AS area_m2
    FROM (SELECT * FROM overlay_problems UNION ALL SELECT * FROM part_problems) y
)
SELECT CASE WHEN kind = 'part' OR area_m2 < %(sliver)s THEN 'sliver' ELSE kind END AS kind,
       kind AS of, codes, area_m2, ST_AsGeoJSON(piece, 7) AS geojson
FROM measured
WHERE kind <> 'part' OR area_m2 < %(sliver)s
ORDER BY kind, codes, area_m2 DESC
