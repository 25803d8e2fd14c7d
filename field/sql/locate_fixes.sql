-- The basic grid of each fix of a batch, in one round trip (a fix in no grid gets NULL): the same rule
-- as every placement, gridmap_area_at() over the subdivided boundaries, lowest code on a shared edge.
SELECT gridmap_area_at(ST_SetSRID(ST_MakePoint(x, y), 4326), 4) AS grid_code
FROM unnest(%(lon)s::float8[], %(lat)s::float8[]) WITH ORDINALITY AS f(x, y, i)
ORDER BY i
