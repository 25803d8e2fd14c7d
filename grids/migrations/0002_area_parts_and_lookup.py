"""Subdivided area parts kept in step by a trigger, and gridmap_area_at(), the point → area lookup.

Raw SQL because the ORM has no triggers: the parts table and the placement of everything in its grid
must hold for every write path (ORM, admin, COPY in bulk loads), so they live in the database.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION gridmap_area_parts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM grids_areapart WHERE area_code = OLD.code;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.valid_to IS NULL THEN
        -- 128 vertices a piece keeps each point-in-polygon test cheap however large the area.
        INSERT INTO grids_areapart (area_code, level, geom)
        SELECT NEW.code, NEW.level, ST_Subdivide(NEW.boundary, 128);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER area_parts_sync
AFTER INSERT OR DELETE OR UPDATE OF boundary, valid_to, level ON grids_area
FOR EACH ROW EXECUTE FUNCTION gridmap_area_parts_sync();

-- The current area of a level that covers a point. A point on an edge shared by two areas is
-- covered by both: the lowest code wins, so the answer is deterministic.
CREATE OR REPLACE FUNCTION gridmap_area_at(p geometry, lvl integer) RETURNS varchar
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT area_code FROM grids_areapart
    WHERE level = lvl AND geom && p AND ST_Intersects(geom, p)
    ORDER BY area_code LIMIT 1
$$;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS area_parts_sync ON grids_area;
DROP FUNCTION IF EXISTS gridmap_area_parts_sync();
DROP FUNCTION IF EXISTS gridmap_area_at(geometry, integer);
"""


class Migration(migrations.Migration):
    dependencies = [("grids", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
