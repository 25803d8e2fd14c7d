-- Coverage (巡查覆盖, issue 19): what the patrol tracks and visits say about a grid. The definitions are
-- here once; the per-grid-per-day rollup below is kept by triggers on field_trackpiece, so that a county's
-- week is a sum over a few thousand rows, not a walk over every track (docs/field.md, "Coverage").

-- How close a track must come to a building for the building to count as passed (metres).
CREATE OR REPLACE FUNCTION field_pass_metres() RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 30.0::float8 $$;

-- A geometry in local metres around latitude `lat` (an equirectangular plane: metres per degree of longitude
-- and latitude at that latitude, WGS84). Over the 30 m of a pass it agrees with the spheroid to well under a
-- millimetre per metre, at a small part of the cost of a geography distance or a reprojection.
CREATE OR REPLACE FUNCTION field_local_metres(g geometry, lat float8) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_Scale(g, 111412.84 * cos(radians(lat)) - 93.5 * cos(radians(3 * lat)),
                    111132.92 - 559.82 * cos(radians(2 * lat)) + 1.175 * cos(radians(4 * lat)))
$$;

-- A building (its location) is passed by a path when it lies within field_pass_metres() of it, measured in
-- local metres at the building's latitude. The bounding-box test first (0.0006° is more than 30 m of longitude
-- up to 60° N) lets the buildings' spatial index find the candidates; PostgreSQL inlines the function, so the
-- index still applies.
CREATE OR REPLACE FUNCTION field_passes(building geometry, path geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT building && ST_Expand(path, 0.0006)
           AND ST_DWithin(field_local_metres(building, ST_Y(building)), field_local_metres(path, ST_Y(building)),
                          field_pass_metres())
$$;

-- The time a piece of track counts as "out" (seconds between its first and last fix).
CREATE OR REPLACE FUNCTION field_out_seconds(started_at timestamptz, ended_at timestamptz) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT greatest(extract(epoch FROM ended_at - started_at), 0)::float8 $$;

-- A key place's check is overdue at `at` when its last check before `at` is older than its cadence (or it was
-- never checked). `last_check` NULL = never.
CREATE OR REPLACE FUNCTION field_check_overdue(last_check timestamptz, every_days integer, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT last_check IS NULL OR last_check <= at - make_interval(days => every_days)
$$;

-- The rollup rows of some (grid, day) keys recounted from the pieces and the buildings: the one place the
-- rollup is computed (triggers and the rebuild both call it). Keys are recounted whole, so an insert, an
-- update and a delete all come out right, and a piece counts on the local day it started.
CREATE OR REPLACE FUNCTION field_coverage_recount(p_grids varchar[], p_days date[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM field_coverageday c
    USING unnest(p_grids, p_days) AS k(grid_code, day)
    WHERE c.grid_code = k.grid_code AND c.day = k.day;
    DELETE FROM field_buildingpass b
    USING unnest(p_grids, p_days) AS k(grid_code, day)
    WHERE b.grid_code = k.grid_code AND b.day = k.day;
    INSERT INTO field_coverageday (grid_code, day, worker_id, length_m, out_seconds, pieces)
    SELECT p.grid_code, figures_day(p.started_at), coalesce(t.worker_id, 0), sum(p.length_m),
           sum(field_out_seconds(p.started_at, p.ended_at)), count(*)
    FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id
    JOIN (SELECT DISTINCT * FROM unnest(p_grids, p_days) AS k(grid_code, day)) k
      ON k.grid_code = p.grid_code AND figures_day(p.started_at) = k.day
    GROUP BY 1, 2, 3;
    -- The pieces first (materialized), then each piece's buildings through their spatial index.
    INSERT INTO field_buildingpass (building_id, day, worker_id, grid_code)
    WITH pc AS MATERIALIZED (
        SELECT p.grid_code, p.path, figures_day(p.started_at) AS day, coalesce(t.worker_id, 0) AS worker_id
        FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id
        JOIN (SELECT DISTINCT * FROM unnest(p_grids, p_days) AS k(grid_code, day)) k
          ON k.grid_code = p.grid_code AND figures_day(p.started_at) = k.day
    )
    SELECT DISTINCT b.id, pc.day, pc.worker_id, b.grid_code
    FROM pc JOIN layers_building b ON b.grid_code = pc.grid_code AND field_passes(b.location, pc.path);
    -- The coverage tiles over those grids are stale now.
    INSERT INTO tiles_layerversion (layer, area_code, version)
    SELECT 'coverage', c, nextval('tiles_version_seq')
    FROM (SELECT DISTINCT left(g, lv.len) AS c FROM unnest(p_grids) AS g
          CROSS JOIN (VALUES (6), (9), (12), (15)) AS lv(len)) s
    ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version;
END $$;

-- Statement-level: a batch of pieces recounts each of its (grid, day) keys once.
CREATE OR REPLACE FUNCTION field_coverage_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    grids varchar[];
    days date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(grid_code), array_agg(day) INTO grids, days
        FROM (SELECT DISTINCT grid_code, figures_day(started_at) AS day FROM new_rows) k;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(grid_code), array_agg(day) INTO grids, days
        FROM (SELECT DISTINCT grid_code, figures_day(started_at) AS day FROM old_rows) k;
    ELSE
        SELECT array_agg(grid_code), array_agg(day) INTO grids, days
        FROM (SELECT grid_code, figures_day(started_at) AS day FROM new_rows
              UNION SELECT grid_code, figures_day(started_at) FROM old_rows) k;
    END IF;
    IF grids IS NOT NULL THEN
        PERFORM field_coverage_recount(grids, days);
    END IF;
    RETURN NULL;
END $$;

-- The whole rollup recounted (after a bulk load with the triggers off, or a change of the definitions).
CREATE OR REPLACE FUNCTION field_coverage_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE field_coverageday, field_buildingpass;
    INSERT INTO field_coverageday (grid_code, day, worker_id, length_m, out_seconds, pieces)
    SELECT p.grid_code, figures_day(p.started_at), coalesce(t.worker_id, 0), sum(p.length_m),
           sum(field_out_seconds(p.started_at, p.ended_at)), count(*)
    FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id
    GROUP BY 1, 2, 3;
    INSERT INTO field_buildingpass (building_id, day, worker_id, grid_code)
    WITH pc AS MATERIALIZED (
        SELECT p.grid_code, p.path, figures_day(p.started_at) AS day, coalesce(t.worker_id, 0) AS worker_id
        FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id
    )
    SELECT DISTINCT b.id, pc.day, pc.worker_id, b.grid_code
    FROM pc JOIN layers_building b ON b.grid_code = pc.grid_code AND field_passes(b.location, pc.path);
    PERFORM tiles_bump('coverage', '');
    UPDATE tiles_layerversion SET version = nextval('tiles_version_seq') WHERE layer IN ('coverage', 'tracks');
END $$;
