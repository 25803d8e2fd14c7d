-- The boundary of grids merged into one: their union on the 1e-7° grid, which also closes the
-- hairline cracks rounding leaves between edges that were computed twice.
-- Raw SQL because the ORM's Union aggregate has no grid size. Parameters: codes, grid.
SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_Union(boundary, %(grid)s), 3)))
FROM grids_area
WHERE code = ANY(%(codes)s)
