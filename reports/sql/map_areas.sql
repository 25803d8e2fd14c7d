-- The areas a report's map draws: the unit and its child units (the unit alone when it has none), in Web
-- Mercator metres, simplified to the print's resolution (%(tolerance)s metres) and with a point inside
-- each for its label. SQL because the simplification and the projection are PostGIS's.
SELECT a.code, a.name, a.level, a.code = %(code)s AS is_unit,
       ST_AsBinary(ST_SimplifyPreserveTopology(ST_Transform(a.boundary, 3857), %(tolerance)s)) AS shape,
       ST_X(ST_Transform(ST_PointOnSurface(a.boundary), 3857)) AS label_x,
       ST_Y(ST_Transform(ST_PointOnSurface(a.boundary), 3857)) AS label_y
FROM grids_area a
WHERE (a.code = %(code)s OR (a.parent_code = %(code)s AND a.level <= 4))
  AND a.valid_to IS NULL AND a.boundary IS NOT NULL
ORDER BY a.code
