-- Place buildings, places and incidents in their basic grid (and incidents in a dedicated grid) when
-- they are written or moved: in the database because placement must hold for every write path, bulk
-- COPY included, in the same statement as the write.

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
