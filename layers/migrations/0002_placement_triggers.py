"""Place buildings, places and incidents in their basic grid (and incidents in a dedicated grid) when
they are written or moved.

Raw SQL because placement must hold for every write path, bulk COPY included, and must be done by
PostGIS in the same statement as the write.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION gridmap_place_in_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.grid_code := gridmap_area_at(NEW.location, 4);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION gridmap_place_incident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.grid_code := gridmap_area_at(NEW.location, 4);
    NEW.dedicated_code := gridmap_area_at(NEW.location, 5);
    RETURN NEW;
END $$;

CREATE TRIGGER building_place BEFORE INSERT OR UPDATE OF location ON layers_building
FOR EACH ROW EXECUTE FUNCTION gridmap_place_in_grid();
CREATE TRIGGER place_place BEFORE INSERT OR UPDATE OF location ON layers_place
FOR EACH ROW EXECUTE FUNCTION gridmap_place_in_grid();
CREATE TRIGGER incident_place BEFORE INSERT OR UPDATE OF location ON layers_incident
FOR EACH ROW EXECUTE FUNCTION gridmap_place_incident();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS building_place ON layers_building;
DROP TRIGGER IF EXISTS place_place ON layers_place;
DROP TRIGGER IF EXISTS incident_place ON layers_incident;
DROP FUNCTION IF EXISTS gridmap_place_in_grid();
DROP FUNCTION IF EXISTS gridmap_place_incident();
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial"), ("grids", "0002_area_parts_and_lookup")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
