-- Place buildings, places and incidents in their basic grid (and incidents in a dedicated grid) when
-- they are written or moved: in the database because placement must hold for every write path, bulk
-- COPY included, in the same statement as the write.

-- A writer that placed a whole batch itself, set-based by the same rule (import_addresses: one join of
-- the batch against the grid parts, ~2 µs a row where this lookup costs ~25-60), says so for that one
-- statement with SET LOCAL gridmap.preplaced = 'on' and its rows keep the grid_code they carry.
CREATE OR REPLACE FUNCTION gridmap_place_in_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND current_setting('gridmap.preplaced', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.grid_code := gridmap_area_at(NEW.location, 4);
    RETURN NEW;
END $$;

-- An incident's table is partitioned by its county (layers/sql/functions/partitions.sql): the writer names the
-- county (county_code) before PostgreSQL routes the row, and a BEFORE trigger cannot move a row to another
-- partition, so this one checks that the grid it finds is in the county the row was routed to. A bulk
-- writer that placed its rows set-based (load_demo) says so with gridmap.preplaced, as for buildings.
CREATE OR REPLACE FUNCTION gridmap_place_incident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND current_setting('gridmap.preplaced', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.grid_code := gridmap_area_at(NEW.location, 4);
    NEW.dedicated_code := gridmap_area_at(NEW.location, 5);
    IF coalesce(left(NEW.grid_code, 6), '') <> NEW.county_code THEN
        RAISE EXCEPTION 'incident % is placed in grid % but written to county %', NEW.id, NEW.grid_code,
            nullif(NEW.county_code, '')
            USING ERRCODE = 'check_violation',
                  HINT = 'set county_code to the first six digits of the grid at the location (Incident.save does)';
    END IF;
    RETURN NEW;
END $$;
