-- The unit's extent in Web Mercator metres: what the map's simplification tolerance is measured against.
SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
FROM (SELECT ST_Extent(ST_Transform(boundary, 3857)) AS e FROM grids_area
      WHERE code = %(code)s AND valid_to IS NULL) t
