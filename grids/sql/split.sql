-- Cut a grid along a line into pieces, each on the 1e-7° grid of every boundary change.
--
-- Raw SQL because the ORM has no ST_Split or ST_ReducePrecision. Pieces come with their geodesic
-- area and centroid, which give their order (codes are numbered west→east, then north→south).
-- Parameters: code, line (EWKB), grid. Rows: piece (EWKB multipolygon), m², centroid x, centroid y.
SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_ReducePrecision(d.geom, %(grid)s), 3))),
       ST_Area(d.geom::geography), ST_X(ST_Centroid(d.geom)), ST_Y(ST_Centroid(d.geom))
FROM grids_area a
CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Split(a.boundary, ST_GeomFromEWKB(%(line)s)), 3)) d
WHERE a.code = %(code)s
