-- The boundaries a redraw gives the grid and its neighbours, and the area it gains and loses.
--
-- Raw SQL because the ORM has no fixed-precision overlay (ST_Difference/ST_Union with a grid size):
-- every result is on the same 1e-7° grid, so shared edges stay shared instead of drifting apart by
-- rounding.
--
-- Parameters: code (the grid), proposed (EWKB, WGS84 multipolygon, already checked), gained_from
-- (take the gained area from the neighbours), lost_to (code of the neighbour that receives the lost
-- area, or NULL), grid (grid size), noise, today.
-- Rows: code, role ('redrawn', 'neighbour', 'gained', 'lost'), before, after (EWKB), after's m².
WITH target AS (
    SELECT code, parent_code, boundary AS before FROM grids_area WHERE code = %(code)s
),
proposed AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_ReducePrecision(ST_GeomFromEWKB(%(proposed)s), %(grid)s), 3)) AS geom
),
lost AS (
    SELECT ST_CollectionExtract(ST_Difference(t.before, p.geom, %(grid)s), 3) AS geom FROM target t, proposed p
),
gained AS (
    SELECT ST_CollectionExtract(ST_Difference(p.geom, t.before, %(grid)s), 3) AS geom FROM target t, proposed p
),
siblings AS (
    SELECT a.code, a.boundary AS before
    FROM grids_area a JOIN target t ON a.parent_code = t.parent_code
    WHERE a.level = 4 AND a.code <> t.code
      AND a.valid_from <= %(today)s AND (a.valid_to IS NULL OR a.valid_to > %(today)s)
      AND (a.boundary && (SELECT geom FROM proposed) OR a.code = %(lost_to)s)
),
resolved AS (
    SELECT s.code, s.before,
           ST_CollectionExtract(CASE WHEN %(gained_from)s THEN ST_Difference(x.step, p.geom, %(grid)s)
                                     ELSE x.step END, 3) AS after
    FROM siblings s
    CROSS JOIN proposed p
    CROSS JOIN LATERAL (
        SELECT CASE WHEN s.code = %(lost_to)s THEN ST_Union(s.before, (SELECT geom FROM lost), %(grid)s)
                    ELSE s.before END AS step
    ) x
),
-- A neighbour whose boundary moves by less than the noise width is left exactly as it was.
changed AS (
    SELECT * FROM resolved
    WHERE NOT ST_IsEmpty(ST_Buffer(ST_SymDifference(before, after, %(grid)s), -%(noise)s, 'quad_segs=1'))
)
SELECT t.code, 'redrawn', ST_AsEWKB(t.before), ST_AsEWKB(p.geom), ST_Area(p.geom::geography)
FROM target t, proposed p
UNION ALL
SELECT c.code, 'neighbour', ST_AsEWKB(c.before), ST_AsEWKB(ST_Multi(c.after)), ST_Area(c.after::geography)
FROM changed c
UNION ALL
SELECT t.code, 'gained', NULL, ST_AsEWKB(ST_Multi(g.geom)), ST_Area(g.geom::geography) FROM target t, gained g
UNION ALL
SELECT t.code, 'lost', NULL, ST_AsEWKB(ST_Multi(l.geom)), ST_Area(l.geom::geography) FROM target t, lost l
