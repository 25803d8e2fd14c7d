-- Put the rows of one placed table whose grid changed into their new grid, and say which moved.
--
-- Raw SQL because it must be one set-based statement per table (the ORM would load every row), and
-- because the table and its columns come from the placed-table registry (grids/placed.py), which
-- grids/ reads instead of importing the layers app. {table}, {key}, {label}, {location}, {grid} are
-- identifiers and {selection} a predicate written by the registering app, composed with psycopg.sql.
--
-- The new grid is gridmap_area_at(), the same function the placement triggers use, read after the
-- new boundaries are written: a redraw places things exactly as a fresh insert would.
-- Parameters: region (EWKB: the envelope of every boundary before and after), retired (codes),
-- level (4: the grid column; 5: the dedicated-grid column of tables that have one).
WITH region AS (
    SELECT ST_GeomFromEWKB(%(region)s) AS geom
),
candidates AS (
    SELECT t.{key} AS key, t.{grid} AS old, gridmap_area_at(t.{location}, %(level)s) AS new
    FROM {table} t, region r
    WHERE t.{location} && r.geom AND ({selection})
    UNION
    SELECT t.{key}, t.{grid}, gridmap_area_at(t.{location}, %(level)s)
    FROM {table} t
    WHERE t.{grid} = ANY(%(retired)s) AND ({selection})
)
UPDATE {table} t SET {grid} = c.new
FROM candidates c
WHERE t.{key} = c.key AND c.old IS DISTINCT FROM c.new
RETURNING t.{key}, t.{label}::text, c.old, c.new
