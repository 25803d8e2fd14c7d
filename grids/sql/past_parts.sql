-- The boundaries valid on a past date, cut like grids_areapart (ST_Subdivide, 128 vertices), so a
-- bulk lookup in the past is as fast as one today. Raw SQL: ST_Subdivide is set-returning and the
-- table exists for this run only (unlogged, not temporary, so that the join can run in parallel;
-- the caller drops it). {parts} is an identifier; parameter: at.
CREATE UNLOGGED TABLE {parts} AS
SELECT v.area_code, a.level, ST_Subdivide(v.boundary, 128) AS geom
FROM grids_boundaryversion v
JOIN grids_area a ON a.code = v.area_code
WHERE v.valid_from <= %(at)s AND (v.valid_to IS NULL OR v.valid_to > %(at)s);
CREATE INDEX ON {parts} USING gist (geom);
ANALYZE {parts};
