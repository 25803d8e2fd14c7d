-- Coverage problems of the children of the given parents, in one statement.
--
-- Raw SQL because the ORM has no fixed-precision overlay (ST_Union/ST_Difference/ST_Intersection with
-- a grid size), no set-returning ST_Dump, and no way to express "pairs of siblings" without pulling
-- every boundary into Python.
--
-- Parameters:
--   parents  text[]  codes of the areas whose children are checked
--   focus    text    NULL, or the one area whose problems are wanted (the check of a single grid)
--   grid     float8  grid size of the overlay, in degrees (1e-7 ≈ 1 cm); see grids/coverage.py
--   noise    float8  pieces thinner than 2 × noise degrees are floating-point noise, not problems
--   sliver   float8  m²: a problem piece or a polygon part smaller than this is a sliver
--   today    date    which areas are current
--
-- Basic grids, villages and townships must tile their parent (no gap, no overlap, nothing outside);
-- dedicated grids (level 5) may overlap basic grids but not one another, and must lie in their parent.
WITH parents AS (
    SELECT code,
           CASE WHEN ST_IsValid(boundary) THEN boundary
                ELSE ST_CollectionExtract(ST_MakeValid(boundary), 3) END AS geom
    FROM grids_area
    WHERE code = ANY(%(parents)s)
      AND valid_from <= %(today)s AND (valid_to IS NULL OR valid_to > %(today)s)
),
children AS (
    SELECT c.code, c.parent_code, c.level,
           CASE WHEN ST_IsValid(c.boundary) THEN c.boundary
                ELSE ST_CollectionExtract(ST_MakeValid(c.boundary), 3) END AS geom
    FROM grids_area c JOIN parents p ON p.code = c.parent_code
    WHERE c.valid_from <= %(today)s AND (c.valid_to IS NULL OR c.valid_to > %(today)s)
),
focus AS (
    SELECT boundary AS geom FROM grids_area WHERE code = %(focus)s
),
gap_pieces AS (
    SELECT 'gap'::text AS kind, p.code AS parent_code, ARRAY[]::text[] AS codes, d.geom AS piece,
           CASE WHEN u.geom IS NULL THEN 'no children cover this area' ELSE '' END AS detail
    FROM parents p
    LEFT JOIN LATERAL (
        SELECT ST_Union(t.geom, %(grid)s) AS geom FROM children t WHERE t.parent_code = p.code AND t.level <> 5
    ) u ON true
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(
        CASE WHEN u.geom IS NULL THEN p.geom ELSE ST_Difference(p.geom, u.geom, %(grid)s) END, 3)) d
),
overlap_pieces AS (
    SELECT 'overlap'::text AS kind, a.parent_code, ARRAY[a.code, b.code] AS codes, d.geom AS piece, '' AS detail
    FROM children a
    JOIN children b ON b.parent_code = a.parent_code AND a.code < b.code
                   AND (a.level = 5) = (b.level = 5) AND a.geom && b.geom
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Intersection(a.geom, b.geom, %(grid)s), 3)) d
    WHERE ST_Intersects(a.geom, b.geom)
),
outside_pieces AS (
    SELECT 'outside'::text AS kind, c.parent_code, ARRAY[c.code] AS codes, d.geom AS piece, '' AS detail
    FROM children c
    JOIN parents p ON p.code = c.parent_code
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(c.geom, p.geom, %(grid)s), 3)) d
    WHERE NOT ST_CoveredBy(c.geom, p.geom)
),
-- Overlay results thinner than the noise width are rounding, not a planner's mistake.
overlay_problems AS (
    SELECT * FROM (
        SELECT * FROM gap_pieces UNION ALL SELECT * FROM overlap_pieces UNION ALL SELECT * FROM outside_pieces
    ) x
    WHERE NOT ST_IsEmpty(ST_Buffer(piece, -%(noise)s, 'quad_segs=1'))
),
-- Polygon parts of an area that are themselves tiny: stray pieces left by an edit or an import.
-- The planar prefilter (1 square degree is more than 5e9 m² anywhere in China) spares the geodesic
-- area of every ordinary part.
part_problems AS (
    SELECT 'part'::text AS kind, c.parent_code, ARRAY[c.code] AS codes, d.geom AS piece, '' AS detail
    FROM children c CROSS JOIN LATERAL ST_Dump(c.geom) d
    WHERE ST_Area(d.geom) < %(sliver)s / 5e9
),
invalid_problems AS (
    SELECT 'invalid'::text AS kind, a.parent_code, ARRAY[a.code] AS codes, a.boundary AS piece,
           ST_IsValidReason(a.boundary) AS detail
    FROM grids_area a
    WHERE (a.code = ANY(%(parents)s) OR a.parent_code = ANY(%(parents)s))
      AND a.valid_from <= %(today)s AND (a.valid_to IS NULL OR a.valid_to > %(today)s)
      AND NOT ST_IsValid(a.boundary)
),
measured AS (
    SELECT kind, parent_code, codes, piece, detail,
           ST_Area(CASE WHEN kind = 'invalid' THEN ST_MakeValid(piece) ELSE piece END::geography) AS area_m2
    FROM (SELECT * FROM overlay_problems UNION ALL SELECT * FROM part_problems
          UNION ALL SELECT * FROM invalid_problems) y
)
SELECT CASE WHEN kind = 'invalid' THEN 'invalid'
            WHEN kind = 'part' OR area_m2 < %(sliver)s THEN 'sliver'
            ELSE kind END AS kind,
       kind AS of,
       parent_code, codes, area_m2, detail,
       ST_AsGeoJSON(piece, 7) AS geojson
FROM measured m
WHERE (kind <> 'part' OR area_m2 < %(sliver)s)
  AND (%(focus)s::text IS NULL
       OR %(focus)s::text = ANY(codes)
       OR (kind = 'gap' AND EXISTS (SELECT 1 FROM focus f WHERE ST_Intersects(m.piece, f.geom))))
ORDER BY parent_code, kind, codes, area_m2 DESC
