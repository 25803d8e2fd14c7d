-- The people rollup (people_unitcount): the current counts of every basic grid and its ancestors, kept
-- by statement-level triggers on each table a count reads, in the same transaction as the write (ORM,
-- admin, an import's COPY, a redraw moving buildings). Why this shape: people/models.py UnitCount.

-- Every measure of the grids named, counted from the rows: population (current residences), households
-- (with a room), enterprises, key persons by group (open tags of people with a current room; counted
-- where they live now), rooms empty (no current resident) / owner-occupied (a resident owns it) / let
-- (residents, none an owner).
CREATE OR REPLACE FUNCTION people_grid_counts(grids text[])
RETURNS TABLE (grid_code text, measure text, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT b.grid_code::text, 'population', count(*)
    FROM people_residence r JOIN layers_room rm ON rm.id = r.room_id JOIN layers_building b ON b.id = rm.building_id
    WHERE r.moved_out IS NULL AND b.grid_code = ANY(grids) GROUP BY 1
    UNION ALL
    SELECT b.grid_code::text, 'households', count(*)
    FROM people_household h JOIN layers_room rm ON rm.id = h.room_id JOIN layers_building b ON b.id = rm.building_id
    WHERE b.grid_code = ANY(grids) GROUP BY 1
    UNION ALL
    SELECT b.grid_code::text, 'enterprises', count(*)
    FROM people_enterprise e JOIN layers_building b ON b.id = e.building_id
    WHERE b.grid_code = ANY(grids) GROUP BY 1
    UNION ALL
    SELECT b.grid_code::text, 'key_' || k."group", count(DISTINCT k.person_id)
    FROM people_keytag k JOIN people_residence r ON r.person_id = k.person_id AND r.moved_out IS NULL
         JOIN layers_room rm ON rm.id = r.room_id JOIN layers_building b ON b.id = rm.building_id
    WHERE k.until IS NULL AND b.grid_code = ANY(grids) GROUP BY 1, 2
    UNION ALL
    SELECT s.grid_code, 'rooms_' || s.state, count(*)
    FROM (SELECT b.grid_code::text AS grid_code,
                 CASE WHEN bool_or(r.tenure = 'owner') THEN 'owner'
                      WHEN count(r.id) > 0 THEN 'let' ELSE 'empty' END AS state
          FROM layers_room rm JOIN layers_building b ON b.id = rm.building_id
               LEFT JOIN people_residence r ON r.room_id = rm.id AND r.moved_out IS NULL
          WHERE b.grid_code = ANY(grids) GROUP BY rm.id, b.grid_code) AS s
    GROUP BY 1, 2
$$;

-- Recount the grids named and add the difference to them and their county, township and village rows,
-- in key order (concurrent writers lock the shared ancestor rows in the same order, as the incident
-- rollup does), then make the people tiles over those areas stale (tiles_layerversion, as the tiles'
-- own triggers do). NULL grids (a building outside every grid) count nowhere.
CREATE OR REPLACE FUNCTION people_recount(grids text[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
    WITH g AS (SELECT DISTINCT x AS code FROM unnest(grids) AS x WHERE x IS NOT NULL),
    fresh AS (SELECT * FROM people_grid_counts(ARRAY(SELECT code FROM g))),
    stored AS (SELECT u.area_code::text AS grid_code, u.measure::text AS measure, u.n::bigint AS n
               FROM people_unitcount u WHERE u.level = 4 AND u.area_code IN (SELECT code FROM g)),
    delta AS (SELECT coalesce(f.grid_code, s.grid_code) AS grid_code, coalesce(f.measure, s.measure) AS measure,
                     coalesce(f.n, 0) - coalesce(s.n, 0) AS d
              FROM fresh f FULL JOIN stored s ON s.grid_code = f.grid_code AND s.measure = f.measure)
    INSERT INTO people_unitcount AS t (level, area_code, measure, n)
    SELECT lv.level, left(d.grid_code, lv.len), d.measure, sum(d.d)
    FROM delta d CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
    WHERE d.d <> 0 AND length(d.grid_code) = 15
    GROUP BY 1, 2, 3
    ORDER BY 2, 3
    ON CONFLICT (area_code, measure) DO UPDATE SET n = t.n + EXCLUDED.n;
    INSERT INTO tiles_layerversion (layer, area_code, version)
    SELECT 'people', c, nextval('tiles_version_seq')
    FROM (SELECT DISTINCT left(x, lv.len) AS c FROM unnest(grids) AS x
          CROSS JOIN (VALUES (6), (9), (12), (15)) AS lv(len) WHERE length(x) = 15 ORDER BY 1) AS s
    ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version;
$$;

-- The grids a statement touched, per table (the old and the new rows' grids, so a move counts out of
-- one grid and into the other). Transition tables are visible only in the trigger function itself, so
-- people_touched_sql() writes the query and the trigger runs it. TG_TABLE_NAME is set by PostgreSQL.
CREATE OR REPLACE FUNCTION people_rollup_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text[] := '{}';
    found text[];
    side text;
    big boolean;
    nestloop text;
    mergejoin text;
BEGIN
    -- A tag's kept follow-up columns (due_on, grid_code: 30_followups.sql) count in no measure: an update
    -- changing nothing else recounts nothing (a follow-up recorded would otherwise recount its grid).
    -- (Nested IFs: the transition tables exist only for the operations that have them. EXCEPT, not a join
    -- on id: the planner takes each transition table for 500 rows and joined the two by a nested loop,
    -- 5,000 x 5,000 comparisons when the loader refreshed a county's tags.)
    IF TG_TABLE_NAME = 'people_keytag' AND TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT id, person_id, "group", since, until FROM new_rows
                       EXCEPT SELECT id, person_id, "group", since, until FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- New residences (an import, a registration, a move's new room): the difference they make, from the rows
    -- themselves, rather than a recount of every grid they touch — 100,000 imported people touch most grids
    -- of a county, and recounting full-scale 旌阳's 627,000 residents cost ~8 s of such an import. A person
    -- has at most one current residence (residence_one_current), so a new current one adds the person to its
    -- grid's population and key groups; each room it lands in may change state (empty, let, owner), compared
    -- with the same room's residents without the new rows. Updates and deletes recount, below.
    IF TG_TABLE_NAME = 'people_residence' AND TG_OP = 'INSERT' THEN
        -- The planner takes a transition table for a few hundred rows: for an import's 100,000 it would probe
        -- rooms, buildings and residences by index once per row, or merge-join them by walking whole indexes
        -- (both ~2 s of CPU on full-scale 旌阳) where a hash join reads each table once in order. Nested loops
        -- and merge joins are refused for this statement only, and only for a big batch.
        big := (SELECT count(*) FROM (SELECT 1 FROM new_rows LIMIT 5001) x) > 5000;
        IF big THEN
            nestloop := current_setting('enable_nestloop');
            mergejoin := current_setting('enable_mergejoin');
            PERFORM set_config('enable_nestloop', 'off', true);
            PERFORM set_config('enable_mergejoin', 'off', true);
        END IF;
        -- The new rows' grids are found once (`added`) and serve the counts and the tiles' versions both.
        -- A room's state before the new rows is its current residents' counts less the new ones' (the new
        -- rows are visible here, AFTER the statement), so the room's residents are read once, grouped.
        WITH added AS MATERIALIZED (
            SELECT n.person_id, n.room_id, n.tenure, n.moved_out IS NULL AS current, b.grid_code::text AS grid_code
            FROM new_rows n JOIN layers_room rm ON rm.id = n.room_id JOIN layers_building b ON b.id = rm.building_id
            WHERE b.grid_code IS NOT NULL),
        new_in_room AS (
            SELECT room_id, grid_code, count(*) AS n, count(*) FILTER (WHERE tenure = 'owner') AS owners
            FROM added WHERE current GROUP BY room_id, grid_code),
        all_in_room AS (
            SELECT r.room_id, count(*) AS n, count(*) FILTER (WHERE r.tenure = 'owner') AS owners
            FROM people_residence r
            WHERE r.moved_out IS NULL AND r.room_id IN (SELECT room_id FROM new_in_room)
            GROUP BY r.room_id),
        rooms AS (
            SELECT t.grid_code,
                   CASE WHEN a.owners > 0 THEN 'owner' WHEN a.n > 0 THEN 'let' ELSE 'empty' END AS now_,
                   CASE WHEN a.owners > t.owners THEN 'owner' WHEN a.n > t.n THEN 'let' ELSE 'empty' END AS before
            FROM new_in_room t JOIN all_in_room a ON a.room_id = t.room_id),
        delta AS (
            SELECT grid_code, 'population' AS measure, count(*) AS d FROM added WHERE current GROUP BY 1
            UNION ALL
            SELECT a.grid_code, 'key_' || k."group", count(DISTINCT a.person_id)
            FROM added a JOIN people_keytag k ON k.person_id = a.person_id AND k.until IS NULL
            WHERE a.current GROUP BY 1, 2
            UNION ALL
            SELECT grid_code, 'rooms_' || now_, count(*) FROM rooms WHERE now_ <> before GROUP BY 1, 2
            UNION ALL
            SELECT grid_code, 'rooms_' || before, -count(*) FROM rooms WHERE now_ <> before GROUP BY 1, 2),
        counted AS (
            INSERT INTO people_unitcount AS t (level, area_code, measure, n)
            SELECT lv.level, left(d.grid_code, lv.len), d.measure, sum(d.d)
            FROM delta d CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
            WHERE length(d.grid_code) = 15
            GROUP BY 1, 2, 3
            HAVING sum(d.d) <> 0
            ORDER BY 2, 3
            ON CONFLICT (area_code, measure) DO UPDATE SET n = t.n + EXCLUDED.n
            RETURNING 1)
        SELECT array_agg(g.grid_code) INTO touched
        FROM (SELECT DISTINCT grid_code FROM added) g WHERE (SELECT count(*) FROM counted) >= 0;
        -- After the counts (the same order as people_recount: concurrent writers lock in one order).
        INSERT INTO tiles_layerversion (layer, area_code, version)
        SELECT 'people', c, nextval('tiles_version_seq')
        FROM (SELECT DISTINCT left(x, lv.len) AS c FROM unnest(touched) AS x
              CROSS JOIN (VALUES (6), (9), (12), (15)) AS lv(len) WHERE length(x) = 15 ORDER BY 1) AS s
        ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version;
        IF big THEN
            PERFORM set_config('enable_nestloop', nestloop, true);
            PERFORM set_config('enable_mergejoin', mergejoin, true);
        END IF;
        RETURN NULL;
    END IF;
    FOREACH side IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
                                     ELSE ARRAY['old_rows', 'new_rows'] END LOOP
        EXECUTE 'SELECT coalesce(array_agg(DISTINCT g), ''{}'') FROM (' || people_touched_sql(TG_TABLE_NAME, side)
                || ') AS t(g)' INTO found;
        touched := touched || found;
    END LOOP;
    PERFORM people_recount(touched);
    RETURN NULL;
END $$;

-- The query of the grid codes of the rows in the transition table `side` of `tab` (both named by code).
CREATE OR REPLACE FUNCTION people_touched_sql(tab text, side text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT format(CASE tab
    WHEN 'people_residence' THEN 'SELECT b.grid_code::text FROM %1$I r JOIN layers_room rm ON rm.id = r.room_id '
                                 'JOIN layers_building b ON b.id = rm.building_id'
    WHEN 'people_household' THEN 'SELECT b.grid_code::text FROM %1$I h JOIN layers_room rm ON rm.id = h.room_id '
                                 'JOIN layers_building b ON b.id = rm.building_id'
    WHEN 'people_enterprise' THEN 'SELECT b.grid_code::text FROM %1$I e JOIN layers_building b ON b.id = e.building_id'
    WHEN 'people_keytag' THEN 'SELECT b.grid_code::text FROM %1$I k '
                              'JOIN people_residence r ON r.person_id = k.person_id AND r.moved_out IS NULL '
                              'JOIN layers_room rm ON rm.id = r.room_id JOIN layers_building b ON b.id = rm.building_id'
    WHEN 'layers_room' THEN 'SELECT b.grid_code::text FROM %1$I rm JOIN layers_building b ON b.id = rm.building_id'
    WHEN 'layers_building' THEN 'SELECT b.grid_code::text FROM %1$I b'
        -- New or moved-in buildings count only where rooms or enterprises already point at them: a
        -- building that nothing references adds to no measure, and recounting every grid an import of
        -- 100,000 new buildings touches cost ~1 s of its INSERT. The old side (deleted, moved out) is
        -- always recounted (its rooms may be gone by now).
        || CASE WHEN side = 'new_rows' THEN ' WHERE EXISTS (SELECT 1 FROM layers_room rm WHERE rm.building_id = b.id)'
                || ' OR EXISTS (SELECT 1 FROM people_enterprise e WHERE e.building_id = b.id)' ELSE '' END
    END, side)
$$;

-- Recount everything: after a load that ran with these triggers disabled, or to check them.
CREATE OR REPLACE FUNCTION people_rollup_rebuild() RETURNS void LANGUAGE sql VOLATILE AS $$
    DELETE FROM people_unitcount;
    SELECT people_recount(ARRAY(SELECT DISTINCT grid_code::text FROM layers_building WHERE grid_code IS NOT NULL));
$$;
