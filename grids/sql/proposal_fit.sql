-- Fit a proposed grid boundary to its village: snap its vertices to the edges of the village and of
-- the neighbouring grids when asked (a boundary drawn by hand never lands exactly on an edge), then
-- measure what would lie outside the village.
--
-- Raw SQL because the ORM has neither ST_Snap nor the fixed-precision ST_Difference, and the
-- geodesic area of the difference is wanted in m².
-- Parameters: proposed (EWKB), code (the grid), village, snap (degrees, 0 = none), grid, noise, today.
-- One row: the fitted boundary (EWKB), its validity reason, the m² outside the village, as GeoJSON.
WITH village AS (
    SELECT boundary AS geom FROM grids_area WHERE code = %(village)s
),
proposal AS (
    SELECT ST_GeomFromEWKB(%(proposed)s) AS geom
),
refs AS (
    SELECT ST_Collect(a.boundary) AS geom
    FROM grids_area a, proposal p
    WHERE a.code = %(village)s
       OR (a.parent_code = %(village)s AND a.level = 4 AND a.code <> %(code)s
           AND a.valid_from <= %(today)s AND (a.valid_to IS NULL OR a.valid_to > %(today)s)
           AND a.boundary && ST_Expand(p.geom, %(snap)s))
),
fitted AS (
    SELECT CASE WHEN %(snap)s > 0 THEN ST_Snap(p.geom, r.geom, %(snap)s) ELSE p.geom END AS geom
    FROM proposal p, refs r
),
outside AS (
    SELECT ST_CollectionExtract(ST_Difference(f.geom, v.geom, %(grid)s), 3) AS geom
    FROM fitted f, village v
    WHERE ST_IsValid(f.geom)
)
SELECT ST_AsEWKB(f.geom), ST_IsValidReason(f.geom),
       COALESCE((SELECT CASE WHEN ST_IsEmpty(ST_Buffer(o.geom, -%(noise)s, 'quad_segs=1')) THEN 0
                             ELSE ST_Area(o.geom::geography) END FROM outside o), 0),
       (SELECT ST_AsGeoJSON(o.geom, 7) FROM outside o)
FROM fitted f
