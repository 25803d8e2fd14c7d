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

-- (Migrations apply today's files before the week rollup's tables exist: bodies are checked when first used.)
SET LOCAL check_function_bodies = off;

-- Sets of a grid's buildings as bit strings (bit i = the building of slot i, field_buildingslot): a day's or
-- a week's buildings passed in a grid is one short bit string, and the distinct buildings passed over any
-- period is the OR of its rows' strings (bit_or), counted with bit_count. Every string of a grid has the grid's
-- width, its number of slots: when new slots widen a grid, its older strings are padded with zeros in the same
-- recount (field_coverage_recount), so bit_or (which refuses strings of different lengths) always applies.
-- A string of `width` zeros with the slots' bits set (bits are numbered from the left, from 0, as the string's
-- characters): one set_bit per slot, OR'ed. (It was one `i = ANY(slots)` per bit of the width, width × slots
-- comparisons per row: a third of the demo season's time at 旌阳's full scale, issue 18. Kept a SQL function:
-- the same body in PL/pgSQL made the recount's plan call it far more often, 12× slower.)
CREATE OR REPLACE FUNCTION field_slots_bits(slots integer[], width integer) RETURNS varbit
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN width > 0 THEN
        coalesce((SELECT bit_or(set_bit(repeat('0', width)::varbit, s, 1)) FROM unnest(slots) s
                  WHERE s >= 0 AND s < width), repeat('0', width)::varbit) END
$$;

-- The width of some grids' sets: their number of slots.
CREATE OR REPLACE FUNCTION field_grid_widths(p_grids varchar[]) RETURNS TABLE (grid_code varchar, width integer)
LANGUAGE sql STABLE AS $$
    SELECT s.grid_code, max(s.slot) + 1 FROM field_buildingslot s WHERE s.grid_code = ANY(p_grids) GROUP BY 1
$$;

-- The Monday of a day's ISO week (the local day's; the rollup's weeks are local weeks).
CREATE OR REPLACE FUNCTION field_week(day date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT day - (extract(isodow FROM day)::int - 1) $$;

-- The rollup rows of a period of local days [first, last_excl) under a grid code prefix (LIKE pattern): its
-- whole ISO weeks from field_coverageweek, the days before the first and after the last whole week from
-- field_coverageday. Every reader of track length, hours, pieces and buildings passed reads this: sums of the
-- figures, and per grid the OR of `passed` (bit_or) for the distinct buildings passed, exactly the
-- buildings of the grid passed on some day of the period. Inlined by the planner (a single SQL SELECT).
CREATE OR REPLACE FUNCTION field_coverage_period(p_prefix text, p_first date, p_end date)
RETURNS TABLE (grid_code varchar, worker_id integer, length_m float8, out_seconds float8, pieces bigint,
               passed varbit, last_day date)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT w.grid_code, w.worker_id, w.length_m, w.out_seconds, w.pieces::bigint, w.passed, w.last_day
    FROM field_coverageweek w
    WHERE w.grid_code LIKE p_prefix AND w.week >= field_week(p_first + 6) AND w.week < field_week(p_end)
    UNION ALL
    SELECT d.grid_code, d.worker_id, d.length_m, d.out_seconds, d.pieces::bigint, d.passed, d.day
    FROM field_coverageday d
    WHERE d.grid_code LIKE p_prefix AND d.day >= p_first AND d.day < p_end
      AND NOT (d.day >= field_week(p_first + 6) AND d.day < field_week(p_end))
$$;

-- The same rows of one grid (a map tile's grids, each through the (grid, week) and (grid, day) indexes, in a
-- LATERAL join: the planner inlines it with the grid's code as an index condition). The same weeks and edge
-- days as field_coverage_period. Why a second function: field_coverage_period(code, ...) with a grid's code
-- as the pattern gives `grid_code LIKE <the outer row's code>`, which is no index condition per outer row, so
-- a z12 tile read every grid's rows of the period once per grid drawn; `=` is. A change to how a period is
-- split into whole weeks and edge days is made in both (tests/field/test_coverage.py checks that they return the
-- same rows for 136 periods).
CREATE OR REPLACE FUNCTION field_coverage_period_grid(p_grid varchar, p_first date, p_end date)
RETURNS TABLE (grid_code varchar, worker_id integer, length_m float8, out_seconds float8, pieces bigint,
               passed varbit, last_day date)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT w.grid_code, w.worker_id, w.length_m, w.out_seconds, w.pieces::bigint, w.passed, w.last_day
    FROM field_coverageweek w
    WHERE w.grid_code = p_grid AND w.week >= field_week(p_first + 6) AND w.week < field_week(p_end)
    UNION ALL
    SELECT d.grid_code, d.worker_id, d.length_m, d.out_seconds, d.pieces::bigint, d.passed, d.day
    FROM field_coverageday d
    WHERE d.grid_code = p_grid AND d.day >= p_first AND d.day < p_end
      AND NOT (d.day >= field_week(p_first + 6) AND d.day < field_week(p_end))
$$;

-- The rollup rows of some (grid, day) keys recounted from the pieces and the buildings: the one place the
-- rollup is computed (triggers and the rebuild both call it). Keys are recounted whole, so an insert, an
-- update and a delete all come out right, and a piece counts on the local day it started. The (grid, week)
-- rows of those days follow from the day rows. Uploads to the same grid are recounted one after the other
-- (a transaction lock per grid, taken in code order), so two phones never give one building two slots.
CREATE OR REPLACE FUNCTION field_coverage_recount(p_grids varchar[], p_days date[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('field_coverage:' || g, 0))
    FROM (SELECT DISTINCT g FROM unnest(p_grids) g ORDER BY 1) s;
    DELETE FROM field_coverageday c
    USING unnest(p_grids, p_days) AS k(grid_code, day)
    WHERE c.grid_code = k.grid_code AND c.day = k.day;
    DELETE FROM field_buildingpass b
    USING unnest(p_grids, p_days) AS k(grid_code, day)
    WHERE b.grid_code = k.grid_code AND b.day = k.day;
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
    -- Slots for the buildings passed in a grid for the first time, after the grid's highest.
    INSERT INTO field_buildingslot (grid_code, building_id, slot)
    SELECT n.grid_code, n.building_id,
           coalesce((SELECT max(s.slot) FROM field_buildingslot s WHERE s.grid_code = n.grid_code), -1)
           + row_number() OVER (PARTITION BY n.grid_code ORDER BY n.building_id)
    FROM (SELECT DISTINCT b.grid_code, b.building_id FROM field_buildingpass b
          JOIN (SELECT DISTINCT * FROM unnest(p_grids, p_days) AS k(grid_code, day)) k
            ON k.grid_code = b.grid_code AND k.day = b.day
          WHERE NOT EXISTS (SELECT 1 FROM field_buildingslot s
                            WHERE s.grid_code = b.grid_code AND s.building_id = b.building_id)) n;
    -- The grids' widths now; the strings of other days and weeks of a grid that grew are padded to it.
    UPDATE field_coverageday c SET passed = c.passed || repeat('0', w.width - length(c.passed))::varbit
    FROM field_grid_widths(p_grids) w WHERE c.grid_code = w.grid_code AND length(c.passed) < w.width;
    UPDATE field_coverageweek c SET passed = c.passed || repeat('0', w.width - length(c.passed))::varbit
    FROM field_grid_widths(p_grids) w WHERE c.grid_code = w.grid_code AND length(c.passed) < w.width;
    INSERT INTO field_coverageday (grid_code, day, worker_id, length_m, out_seconds, pieces, passed)
    SELECT d.grid_code, d.day, d.worker_id, d.length_m, d.out_seconds, d.pieces, s.passed
    FROM (SELECT p.grid_code, figures_day(p.started_at) AS day, coalesce(t.worker_id, 0) AS worker_id,
                 sum(p.length_m) AS length_m, sum(field_out_seconds(p.started_at, p.ended_at)) AS out_seconds,
                 count(*) AS pieces
          FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id
          JOIN (SELECT DISTINCT * FROM unnest(p_grids, p_days) AS k(grid_code, day)) k
            ON k.grid_code = p.grid_code AND figures_day(p.started_at) = k.day
          GROUP BY 1, 2, 3) d
    LEFT JOIN (SELECT b.grid_code, b.day, b.worker_id, field_slots_bits(array_agg(sl.slot), w.width) AS passed
               FROM field_buildingpass b
               JOIN (SELECT DISTINCT * FROM unnest(p_grids, p_days) AS k(grid_code, day)) k
                 ON k.grid_code = b.grid_code AND k.day = b.day
               JOIN field_buildingslot sl ON sl.grid_code = b.grid_code AND sl.building_id = b.building_id
               JOIN field_grid_widths(p_grids) w ON w.grid_code = b.grid_code
               GROUP BY 1, 2, 3, w.width) s
      ON s.grid_code = d.grid_code AND s.day = d.day AND s.worker_id = d.worker_id;
    -- The weeks of those days, from their day rows.
    DELETE FROM field_coverageweek w
    USING (SELECT DISTINCT grid_code, field_week(day) AS week FROM unnest(p_grids, p_days) AS k(grid_code, day)) k
    WHERE w.grid_code = k.grid_code AND w.week = k.week;
    INSERT INTO field_coverageweek (grid_code, week, last_day, worker_id, length_m, out_seconds, pieces, passed)
    SELECT c.grid_code, k.week, max(c.day), c.worker_id, sum(c.length_m), sum(c.out_seconds), sum(c.pieces),
           bit_or(c.passed)
    FROM (SELECT DISTINCT grid_code, field_week(day) AS week FROM unnest(p_grids, p_days) AS k(grid_code, day)) k
    JOIN field_coverageday c ON c.grid_code = k.grid_code AND c.day >= k.week AND c.day < k.week + 7
    GROUP BY c.grid_code, k.week, c.worker_id;
    PERFORM field_grid_seen_tracks(p_grids);
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
    TRUNCATE field_coverageday, field_coverageweek, field_buildingpass, field_buildingslot;
    INSERT INTO field_buildingpass (building_id, day, worker_id, grid_code)
    WITH pc AS MATERIALIZED (
        SELECT p.grid_code, p.path, figures_day(p.started_at) AS day, coalesce(t.worker_id, 0) AS worker_id
        FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id
    )
    SELECT DISTINCT b.id, pc.day, pc.worker_id, b.grid_code
    FROM pc JOIN layers_building b ON b.grid_code = pc.grid_code AND field_passes(b.location, pc.path);
    PERFORM field_coverage_sets();
    PERFORM tiles_bump('coverage', '');
    UPDATE tiles_layerversion SET version = nextval('tiles_version_seq') WHERE layer IN ('coverage', 'tracks');
END $$;

-- The day and week rows (with their sets) of every grid and day from field_buildingpass and the pieces, for a
-- rollup whose field_buildingpass rows were just written whole (field_coverage_rebuild, the demo season):
-- field_coverageday, field_coverageweek and field_buildingslot must be empty.
CREATE OR REPLACE FUNCTION field_coverage_sets() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO field_buildingslot (grid_code, building_id, slot)
    SELECT grid_code, building_id, row_number() OVER (PARTITION BY grid_code ORDER BY building_id) - 1
    FROM (SELECT DISTINCT grid_code, building_id FROM field_buildingpass) n;
    INSERT INTO field_coverageday (grid_code, day, worker_id, length_m, out_seconds, pieces, passed)
    SELECT d.grid_code, d.day, d.worker_id, d.length_m, d.out_seconds, d.pieces, s.passed
    FROM (SELECT p.grid_code, figures_day(p.started_at) AS day, coalesce(t.worker_id, 0) AS worker_id,
                 sum(p.length_m) AS length_m, sum(field_out_seconds(p.started_at, p.ended_at)) AS out_seconds,
                 count(*) AS pieces
          FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id
          GROUP BY 1, 2, 3) d
    LEFT JOIN (SELECT b.grid_code, b.day, b.worker_id, field_slots_bits(array_agg(sl.slot), w.width) AS passed
               FROM field_buildingpass b
               JOIN field_buildingslot sl ON sl.grid_code = b.grid_code AND sl.building_id = b.building_id
               JOIN (SELECT grid_code, max(slot) + 1 AS width FROM field_buildingslot GROUP BY 1) w
                 ON w.grid_code = b.grid_code
               GROUP BY 1, 2, 3, w.width) s
      ON s.grid_code = d.grid_code AND s.day = d.day AND s.worker_id = d.worker_id;
    INSERT INTO field_coverageweek (grid_code, week, last_day, worker_id, length_m, out_seconds, pieces, passed)
    SELECT grid_code, field_week(day), max(day), worker_id, sum(length_m), sum(out_seconds), sum(pieces),
           bit_or(passed)
    FROM field_coverageday GROUP BY 1, 2, 4;
    UPDATE field_gridseen SET track_day = NULL;
    PERFORM field_grid_seen_tracks(ARRAY(SELECT DISTINCT grid_code FROM field_coverageday));
END $$;

-- The buildings per grid (field_gridbuildings) of some grids recounted from layers_building, after a statement
-- that wrote buildings (their triggers), one grid after the other (a lock per grid, in code order).
CREATE OR REPLACE FUNCTION field_grid_buildings_recount(p_grids varchar[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('field_buildings:' || g, 0))
    FROM (SELECT DISTINCT g FROM unnest(p_grids) g WHERE g IS NOT NULL ORDER BY 1) s;
    DELETE FROM field_gridbuildings WHERE grid_code = ANY(p_grids);
    INSERT INTO field_gridbuildings (grid_code, buildings)
    SELECT grid_code, count(*) FROM layers_building WHERE grid_code = ANY(p_grids) GROUP BY 1;
END $$;

CREATE OR REPLACE FUNCTION field_grid_buildings_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    grids varchar[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT grid_code) INTO grids FROM new_rows WHERE grid_code IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT grid_code) INTO grids FROM old_rows WHERE grid_code IS NOT NULL;
    ELSE
        -- Only the rows that changed grid change the counts (both their old grid and their new one).
        SELECT array_agg(DISTINCT g) INTO grids FROM (
            SELECT unnest(ARRAY[o.grid_code, n.grid_code]) AS g
            FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.grid_code IS DISTINCT FROM n.grid_code) k
        WHERE g IS NOT NULL;
    END IF;
    IF grids IS NOT NULL THEN
        PERFORM field_grid_buildings_recount(grids);
    END IF;
    RETURN NULL;
END $$;

-- The buildings per grid under a code prefix ('' for all) recounted whole.
CREATE OR REPLACE FUNCTION field_grid_buildings_rebuild(p_prefix text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM field_gridbuildings WHERE grid_code LIKE p_prefix || '%';
    INSERT INTO field_gridbuildings (grid_code, buildings)
    SELECT grid_code, count(*) FROM layers_building WHERE grid_code LIKE p_prefix || '%' GROUP BY 1;
END $$;

-- The last track day of some grids (field_gridseen) recounted from the day rollup (a probe per grid).
CREATE OR REPLACE FUNCTION field_grid_seen_tracks(p_grids varchar[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO field_gridseen (grid_code, track_day, visit_at)
    SELECT g, (SELECT max(c.day) FROM field_coverageday c WHERE c.grid_code = g), NULL
    FROM (SELECT DISTINCT g FROM unnest(p_grids) g WHERE g IS NOT NULL) k
    ON CONFLICT (grid_code) DO UPDATE SET track_day = EXCLUDED.track_day
$$;

-- The last visit of some grids (field_gridseen) recounted from the visits (a probe per grid).
CREATE OR REPLACE FUNCTION field_grid_seen_visits(p_grids varchar[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO field_gridseen (grid_code, track_day, visit_at)
    SELECT g, NULL, (SELECT max(v.visited_at) FROM field_visit v WHERE v.grid_code = g)
    FROM (SELECT DISTINCT g FROM unnest(p_grids) g WHERE g IS NOT NULL) k
    ON CONFLICT (grid_code) DO UPDATE SET visit_at = EXCLUDED.visit_at
$$;

CREATE OR REPLACE FUNCTION field_grid_seen_visit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    grids varchar[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT grid_code) INTO grids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT grid_code) INTO grids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT g) INTO grids FROM (SELECT grid_code AS g FROM old_rows
                                                     UNION SELECT grid_code FROM new_rows) k;
    END IF;
    IF grids IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('field_seen:' || g, 0))
        FROM (SELECT DISTINCT g FROM unnest(grids) g WHERE g IS NOT NULL ORDER BY 1) s;
        PERFORM field_grid_seen_visits(grids);
    END IF;
    RETURN NULL;
END $$;

-- "Last seen" per grid under a prefix, up to a moment: the last local day a track or a visit was recorded in
-- the grid in [p_lookback_day, p_at_day] (tracks, by their day) and [p_lookback, p_at) (visits), NULL when none.
-- One row per grid from field_gridseen; only a grid with a track or visit after the end (a past period) is
-- looked up in the rollup or the visits, through their (grid, day) indexes.
CREATE OR REPLACE FUNCTION field_grid_last_seen(p_prefix text, p_lookback_day date, p_at_day date,
                                                p_lookback timestamptz, p_at timestamptz)
RETURNS TABLE (grid_code varchar, last_seen date)
LANGUAGE sql STABLE AS $$
    SELECT grid_code, greatest(t, v) FROM (
        SELECT s.grid_code,
               CASE WHEN s.track_day IS NULL OR s.track_day < p_lookback_day THEN NULL
                    WHEN s.track_day <= p_at_day THEN s.track_day
                    ELSE (SELECT max(c.day) FROM field_coverageday c WHERE c.grid_code = s.grid_code
                          AND c.day >= p_lookback_day AND c.day <= p_at_day) END AS t,
               CASE WHEN s.visit_at IS NULL OR s.visit_at < p_lookback THEN NULL
                    WHEN s.visit_at < p_at THEN figures_day(s.visit_at)
                    ELSE figures_day((SELECT max(x.visited_at) FROM field_visit x WHERE x.grid_code = s.grid_code
                                      AND x.visited_at >= p_lookback AND x.visited_at < p_at)) END AS v
        FROM field_gridseen s WHERE s.grid_code LIKE p_prefix) g
    WHERE t IS NOT NULL OR v IS NOT NULL
$$;
