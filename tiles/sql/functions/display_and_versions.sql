-- The tiles' derived tables kept right on every write, bulk loads included: simplified display
-- geometry per zoom band (tiles_areadisplay) and change counters per layer and area
-- (tiles_layerversion), which make exactly the tiles over a changed area stale. In the database
-- because they must change in the same transaction as the rows they derive from. The incident counts
-- the tiles draw are the figures' rollup (layers/figures/sql/functions/), not the tiles'.

-- One part of a multipolygon, simplified for a tolerance (metres in EPSG:3857); a part that would
-- vanish becomes a square of 2 x tol around a point on it, so no part is ever dropped.
CREATE OR REPLACE FUNCTION tiles_keep_part(part geometry, tol float8) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN s IS NULL OR ST_IsEmpty(s) OR ST_Area(s) < 4 * tol * tol
        THEN ST_Expand(ST_PointOnSurface(part), tol)
        ELSE s END
    FROM (SELECT ST_CollectionExtract(ST_MakeValid(ST_SimplifyPreserveTopology(part, tol)), 3) AS s) q
$$;

-- Zoom bands per level: county and townships at z<=9, villages at z10-11, grids from z12.
CREATE OR REPLACE FUNCTION tiles_zbands(lvl integer) RETURNS integer[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN lvl <= 2 THEN ARRAY[6, 8] WHEN lvl = 3 THEN ARRAY[10] ELSE ARRAY[12, 14] END
$$;

CREATE OR REPLACE FUNCTION tiles_refresh_area_display(p_code varchar) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    a record;
    band integer;
    tol float8;
BEGIN
    DELETE FROM tiles_areadisplay WHERE area_code = p_code;
    SELECT code, level, ST_Transform(boundary, 3857) AS geom INTO a
    FROM grids_area WHERE code = p_code AND valid_to IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOREACH band IN ARRAY tiles_zbands(a.level) LOOP
        tol := 40075016.686 / (2 ^ band) / 4096;
        INSERT INTO tiles_areadisplay (area_code, level, zband, geom, label)
        SELECT a.code, a.level, band,
               ST_Multi(ST_CollectionExtract(ST_Collect(tiles_keep_part(d.geom, tol)), 3)),
               ST_PointOnSurface(a.geom)
        FROM ST_Dump(a.geom) AS d;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION tiles_bump(p_layer varchar, p_code varchar) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO tiles_layerversion (layer, area_code, version)
    VALUES (p_layer, p_code, nextval('tiles_version_seq'))
    ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version
$$;

CREATE OR REPLACE FUNCTION tiles_area_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM tiles_refresh_area_display(OLD.code);
        PERFORM tiles_bump('grids', OLD.code);
    ELSE
        PERFORM tiles_refresh_area_display(NEW.code);
        PERFORM tiles_bump('grids', NEW.code);
    END IF;
    RETURN NULL;
END $$;

-- Version bumps for placed things: the row's grid and its village, township and county, or '' for
-- rows outside every grid. TG_ARGV[0] names the layer. Statement-level with transition tables, so a
-- bulk INSERT of a million rows bumps each area once. The statement's one text (tiles_bump_rows_sql) also
-- serves a county's incidents partition filled while it stood alone (layers_incident_loaded); `source`
-- is a table named by code (new_rows, old_rows, a partition), never a request.
CREATE OR REPLACE FUNCTION tiles_bump_rows_sql(layer text, source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT format($q$
    INSERT INTO tiles_layerversion (layer, area_code, version)
    SELECT %1$L, c, nextval('tiles_version_seq')
    FROM (SELECT DISTINCT coalesce(left(r.grid_code, lv.len), '') AS c
          FROM %2$s r CROSS JOIN (VALUES (6), (9), (12), (15)) AS lv(len)) s
    ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version
$q$, layer, source)
$$;

CREATE OR REPLACE FUNCTION tiles_bump_placed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE tiles_bump_rows_sql(TG_ARGV[0], 'new_rows');
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE tiles_bump_rows_sql(TG_ARGV[0], 'old_rows');
    END IF;
    RETURN NULL;
END $$;

-- After a TRUNCATE every tile of the layer is stale.
CREATE OR REPLACE FUNCTION tiles_bump_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tiles_layerversion SET version = nextval('tiles_version_seq') WHERE layer = TG_ARGV[0];
    PERFORM tiles_bump(TG_ARGV[0], '');
    RETURN NULL;
END $$;
