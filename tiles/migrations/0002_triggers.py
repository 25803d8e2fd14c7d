"""Triggers that keep the tiles' derived tables right on every write, bulk loads included.

Raw SQL because the ORM has no triggers, and because the rollups must change in the same
transaction as the incidents they count (map and tables must always agree). Incident rollups and
version bumps are statement-level triggers with transition tables: a bulk INSERT of a million rows
is aggregated once, not a million times.
"""

from django.db import migrations

FORWARD = r"""
CREATE SEQUENCE IF NOT EXISTS tiles_version_seq;

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

CREATE TRIGGER tiles_area_changed
AFTER INSERT OR DELETE OR UPDATE OF boundary, valid_to, level ON grids_area
FOR EACH ROW EXECUTE FUNCTION tiles_area_changed();

-- Version bumps for placed things: the row's grid and its village, township and county, or ''
-- for rows outside every grid. TG_ARGV[0] names the layer.
CREATE OR REPLACE FUNCTION tiles_bump_placed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO tiles_layerversion (layer, area_code, version)
        SELECT TG_ARGV[0], c, nextval('tiles_version_seq')
        FROM (SELECT DISTINCT coalesce(left(r.grid_code, lv.len), '') AS c
              FROM new_rows r CROSS JOIN (VALUES (6), (9), (12), (15)) AS lv(len)) s
        ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO tiles_layerversion (layer, area_code, version)
        SELECT TG_ARGV[0], c, nextval('tiles_version_seq')
        FROM (SELECT DISTINCT coalesce(left(r.grid_code, lv.len), '') AS c
              FROM old_rows r CROSS JOIN (VALUES (6), (9), (12), (15)) AS lv(len)) s
        ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tiles_bump_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tiles_layerversion SET version = nextval('tiles_version_seq') WHERE layer = TG_ARGV[0];
    PERFORM tiles_bump(TG_ARGV[0], '');
    IF TG_ARGV[0] = 'incidents' THEN
        DELETE FROM tiles_incidentrollup;
    END IF;
    RETURN NULL;
END $$;

-- Rollups: add the new rows, subtract the old ones; on UPDATE only rows whose counted key changed.
CREATE OR REPLACE FUNCTION tiles_incident_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM tiles_rollup_apply(1, ARRAY(SELECT r::layers_incident FROM new_rows r));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM tiles_rollup_apply(-1, ARRAY(SELECT r::layers_incident FROM old_rows r));
    ELSE
        PERFORM tiles_rollup_apply(-1, ARRAY(
            SELECT o::layers_incident FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.grid_code, o.status, o.category, o.severity, o.reported_at, o.closed_at > o.due_at)
                  IS DISTINCT FROM (n.grid_code, n.status, n.category, n.severity, n.reported_at, n.closed_at > n.due_at)));
        PERFORM tiles_rollup_apply(1, ARRAY(
            SELECT n::layers_incident FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.grid_code, o.status, o.category, o.severity, o.reported_at, o.closed_at > o.due_at)
                  IS DISTINCT FROM (n.grid_code, n.status, n.category, n.severity, n.reported_at, n.closed_at > n.due_at)));
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tiles_rollup_apply(sign integer, rows layers_incident[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO tiles_incidentrollup AS t (level, area_code, month, category, severity, status, n, n_late)
    SELECT lv.level, left(r.grid_code, lv.len),
           date_trunc('month', r.reported_at AT TIME ZONE 'Asia/Shanghai')::date,
           r.category, r.severity, r.status,
           sign * count(*), sign * count(*) FILTER (WHERE r.closed_at > r.due_at)
    FROM unnest(rows) AS r
    CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
    WHERE r.grid_code IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (area_code, month, category, severity, status)
    DO UPDATE SET n = t.n + EXCLUDED.n, n_late = t.n_late + EXCLUDED.n_late
$$;

CREATE TRIGGER tiles_incident_rollup_ins AFTER INSERT ON layers_incident
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_incident_rollup();
CREATE TRIGGER tiles_incident_rollup_upd AFTER UPDATE ON layers_incident
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_incident_rollup();
CREATE TRIGGER tiles_incident_rollup_del AFTER DELETE ON layers_incident
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_incident_rollup();
"""

PLACED = ["incidents:layers_incident", "buildings:layers_building", "places:layers_place"]
for spec in PLACED:
    layer, table = spec.split(":")
    FORWARD += f"""
CREATE TRIGGER tiles_bump_ins AFTER INSERT ON {table}
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_placed('{layer}');
CREATE TRIGGER tiles_bump_upd AFTER UPDATE ON {table}
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_placed('{layer}');
CREATE TRIGGER tiles_bump_del AFTER DELETE ON {table}
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_placed('{layer}');
CREATE TRIGGER tiles_bump_truncate AFTER TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_all('{layer}');
"""

BACKWARD = """
DROP TRIGGER IF EXISTS tiles_area_changed ON grids_area;
DROP TRIGGER IF EXISTS tiles_incident_rollup_ins ON layers_incident;
DROP TRIGGER IF EXISTS tiles_incident_rollup_upd ON layers_incident;
DROP TRIGGER IF EXISTS tiles_incident_rollup_del ON layers_incident;
""" + "".join(
    f"DROP TRIGGER IF EXISTS tiles_bump_{op} ON {spec.split(':')[1]};\n"
    for spec in PLACED for op in ("ins", "upd", "del", "truncate")
) + """
DROP FUNCTION IF EXISTS tiles_incident_rollup();
DROP FUNCTION IF EXISTS tiles_rollup_apply(integer, layers_incident[]);
DROP FUNCTION IF EXISTS tiles_bump_placed();
DROP FUNCTION IF EXISTS tiles_bump_all();
DROP FUNCTION IF EXISTS tiles_area_changed();
DROP FUNCTION IF EXISTS tiles_bump(varchar, varchar);
DROP FUNCTION IF EXISTS tiles_refresh_area_display(varchar);
DROP FUNCTION IF EXISTS tiles_zbands(integer);
DROP FUNCTION IF EXISTS tiles_keep_part(geometry, float8);
DROP SEQUENCE IF EXISTS tiles_version_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("tiles", "0001_initial"), ("layers", "0002_placement_triggers"),
                    ("grids", "0002_area_parts_and_lookup")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
