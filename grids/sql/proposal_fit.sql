-- Fit a proposed grid boundary to its village: snap it to the edges of the village and of the
-- neighbouring grids when asked (a boundary drawn by hand never lands exactly on an edge), then
-- measure what would lie outside the village.
--
-- Raw SQL because the ORM has neither ST_DumpPoints/ST_ClosestPoint/ST_Snap nor the fixed-precision
-- ST_Difference, and the geodesic area of the difference is wanted in m².
-- Snapping is two steps: each vertex within `snap` of an edge moves to the closest point of that edge
-- (ST_Snap alone only snaps to vertices), then ST_Snap pulls vertices onto the edges' own vertices
-- (corners) and inserts those the proposal's edges pass within `snap` of, so a snapped edge follows
-- its neighbour's exactly.
-- Parameters: proposed (EWKB multipolygon), code (the grid), village, snap (degrees, 0 = none), grid,
-- noise, today.
-- One row: the fitted boundary (EWKB), its validity reason, the m² outside the village, as GeoJSON.
WITH village AS (
    SELECT boundary AS geom FROM grids_area WHERE code = %(village)s
),
proposal AS (
    SELECT ST_GeomFromEWKB(%(proposed)s) AS geom
),
refs AS (
    SELECT ST_Collect(a.boundary) AS areas, ST_Collect(ST_Boundary(a.boundary)) AS lines
    FROM grids_area a, proposal p
    WHERE a.code = %(village)s
       OR (a.parent_code = %(village)s AND a.level = 4 AND a.code <> %(code)s
           AND a.valid_from <= %(today)s AND (a.valid_to IS NULL OR a.valid_to > %(today)s)
           AND a.boundary && ST_Expand(p.geom, %(snap)s))
),
vertices AS (
    SELECT d.path, CASE WHEN ST_DWithin(d.geom, r.lines, %(snap)s) THEN ST_ClosestPoint(r.lines, d.geom)
                        ELSE d.geom END AS pt
    FROM proposal p, refs r, ST_DumpPoints(p.geom) d
    WHERE %(snap)s > 0
),
rings AS (
    SELECT path[1] AS poly, path[2] AS ring, ST_MakeLine(array_agg(pt ORDER BY path[3])) AS line
    FROM vertices GROUP BY path[1], path[2]
),
polygons AS (
    SELECT poly, ST_MakePolygon((array_agg(line ORDER BY ring))[1],
                                COALESCE((array_agg(line ORDER BY ring))[2:], ARRAY[]::geometry[])) AS geom
    FROM rings GROUP BY poly
),
fitted AS (
    SELECT CASE WHEN %(snap)s > 0
                THEN (SELECT ST_Snap(ST_SetSRID(ST_Multi(ST_Collect(geom ORDER BY poly)), 4326), r.lines, %(snap)s)
                      FROM polygons)
                ELSE p.geom END AS geom
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
