-- Which of the given grids share an edge (not just a corner) with one another.
--
-- Raw SQL because "share an edge" is a length of common boundary, which the ORM cannot express.
-- Edges computed twice differ by rounding, so a boundary counts as shared where the two lie within
-- the noise width of each other, and a shared stretch must be longer than min_edge degrees.
-- Parameters: codes, noise, min_edge. Rows: code, code.
SELECT a.code, b.code
FROM grids_area a
JOIN grids_area b ON a.code < b.code AND b.code = ANY(%(codes)s)
WHERE a.code = ANY(%(codes)s)
  AND ST_DWithin(a.boundary, b.boundary, %(noise)s)
  AND ST_Length(ST_Intersection(ST_Boundary(a.boundary),
                                ST_Buffer(ST_Boundary(b.boundary), %(noise)s, 'quad_segs=1'))) > %(min_edge)s
