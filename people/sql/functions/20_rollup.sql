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

-- Add per-grid differences to the grids and their county, township and village rows, in key order
-- (concurrent writers lock the shared ancestor rows in the same order, as the incident rollup does),
-- then make the people tiles over the touched grids stale (tiles_layerversion, as the tiles' own
-- triggers do). NULL grids (a building outside every grid) count nowhere. The one writer of
-- people_unitcount besides the rebuild: people_recount() and the triggers' differences go through it.
CREATE OR REPLACE FUNCTION people_add(touched text[], grids text[], measures text[], ds bigint[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO people_unitcount AS t (level, area_code, measure, n)
    SELECT lv.level, left(d.grid_code, lv.len), d.measure, sum(d.d)
    FROM unnest(grids, measures, ds) AS d(grid_code, measure, d)
         CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
    WHERE d.d <> 0 AND length(d.grid_code) = 15
    GROUP BY 1, 2, 3
    HAVING sum(d.d) <> 0
    ORDER BY 2, 3
    ON CONFLICT (area_code, measure) DO UPDATE SET n = t.n + EXCLUDED.n;
    INSERT INTO tiles_layerversion (layer, area_code, version)
    SELECT 'people', c, nextval('tiles_version_seq')
    FROM (SELECT DISTINCT left(x, lv.len) AS c FROM unnest(touched) AS x
          CROSS JOIN (VALUES (6), (9), (12), (15)) AS lv(len) WHERE length(x) = 15 ORDER BY 1) AS s
    ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version;
$$;

-- Recount the grids named from the rows (people_grid_counts) and add the difference to the stored counts.
CREATE OR REPLACE FUNCTION people_recount(grids text[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
    WITH g AS (SELECT DISTINCT x AS code FROM unnest(grids) AS x WHERE x IS NOT NULL),
    fresh AS (SELECT * FROM people_grid_counts(ARRAY(SELECT code FROM g))),
    stored AS (SELECT u.area_code::text AS grid_code, u.measure::text AS measure, u.n::bigint AS n
               FROM people_unitcount u WHERE u.level = 4 AND u.area_code IN (SELECT code FROM g)),
    delta AS (SELECT coalesce(f.grid_code, s.grid_code) AS grid_code, coalesce(f.measure, s.measure) AS measure,
                     coalesce(f.n, 0) - coalesce(s.n, 0) AS d
              FROM fresh f FULL JOIN stored s ON s.grid_code = f.grid_code AND s.measure = f.measure)
    SELECT people_add(grids, array_agg(d.grid_code), array_agg(d.measure), array_agg(d.d))
    FROM delta d WHERE d.d <> 0;
$$;

-- The difference a statement on people_residence made, from its transition tables alone (ins: the rows
-- current after it, del: the rows current before it; an UPDATE has both), without recounting the grids:
-- population and key persons are additive (one current residence per person, enforced by an index), and
-- only the rooms the statement touched can change state (their state before = the rooms' current rows
-- now, less those the statement wrote, plus those it removed). An import of 100,000 residences over a
-- whole county then costs in proportion to its rows, not to the county (a recount of 600,000 residences
-- was half of its time). people_grid_counts() stays the definition: tests/people/test_counts.py compares
-- the rollup with it after every kind of write, and people_rollup_rebuild() recounts from it.
CREATE OR REPLACE FUNCTION people_residence_delta_sql(ins text, del text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT format($q$
    WITH ins AS (SELECT id, person_id, room_id, tenure FROM %1$s AS x WHERE moved_out IS NULL),
    del AS (SELECT id, person_id, room_id, tenure FROM %2$s AS x WHERE moved_out IS NULL),
    changed AS (SELECT person_id, room_id, 1 AS sign FROM ins UNION ALL SELECT person_id, room_id, -1 FROM del),
    rooms AS (SELECT rm.id AS room_id, b.grid_code::text AS grid_code
              FROM layers_room rm JOIN layers_building b ON b.id = rm.building_id
              WHERE rm.id IN (SELECT room_id FROM changed) AND b.grid_code IS NOT NULL),
    now_rows AS (SELECT r.id, r.room_id, r.tenure FROM people_residence r JOIN rooms t ON t.room_id = r.room_id
                 WHERE r.moved_out IS NULL),
    before_rows AS (SELECT a.room_id, a.tenure FROM now_rows a LEFT JOIN ins i ON i.id = a.id WHERE i.id IS NULL
                    UNION ALL SELECT room_id, tenure FROM del),
    states AS (
        SELECT t.grid_code, 1 AS sign, CASE WHEN bool_or(a.tenure = 'owner') THEN 'owner'
                                            WHEN count(a.room_id) > 0 THEN 'let' ELSE 'empty' END AS state
        FROM rooms t LEFT JOIN now_rows a ON a.room_id = t.room_id GROUP BY t.room_id, t.grid_code
        UNION ALL
        SELECT t.grid_code, -1, CASE WHEN bool_or(b.tenure = 'owner') THEN 'owner'
                                     WHEN count(b.room_id) > 0 THEN 'let' ELSE 'empty' END
        FROM rooms t LEFT JOIN before_rows b ON b.room_id = t.room_id GROUP BY t.room_id, t.grid_code
    ),
    delta AS (
        SELECT grid_code, 'rooms_' || state AS measure, sum(sign)::bigint AS d FROM states GROUP BY 1, 2
        UNION ALL
        SELECT t.grid_code, 'population', sum(c.sign)::bigint FROM changed c JOIN rooms t ON t.room_id = c.room_id
        GROUP BY 1
        UNION ALL
        SELECT t.grid_code, 'key_' || k."group", sum(c.sign)::bigint
        FROM changed c JOIN people_keytag k ON k.person_id = c.person_id AND k.until IS NULL
             JOIN rooms t ON t.room_id = c.room_id
        GROUP BY 1, 2
    )
    SELECT people_add(ARRAY(SELECT DISTINCT grid_code FROM delta), array_agg(grid_code), array_agg(measure),
                      array_agg(d))
    FROM delta WHERE d <> 0
    $q$, ins, del)
$$;

-- The same for households and enterprises: a count of rows per grid, so the difference is the rows
-- written less the rows removed (an UPDATE moving one counts out of one grid and into the other).
CREATE OR REPLACE FUNCTION people_rows_delta_sql(tab text, ins text, del text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT format($q$
    WITH changed AS (SELECT (%3$s) AS grid_code, 1 AS sign FROM %1$s AS x %4$s
                     UNION ALL SELECT (%3$s), -1 FROM %2$s AS x %4$s),
    delta AS (SELECT grid_code, sum(sign)::bigint AS d FROM changed WHERE grid_code IS NOT NULL GROUP BY 1)
    SELECT people_add(ARRAY(SELECT grid_code FROM delta), array_agg(grid_code),
                      array_agg(%5$L::text) , array_agg(d))
    FROM delta WHERE d <> 0
    $q$, ins, del, 'b.grid_code::text',
    CASE tab WHEN 'people_household' THEN 'JOIN layers_room rm ON rm.id = x.room_id '
                                          'JOIN layers_building b ON b.id = rm.building_id'
             ELSE 'JOIN layers_building b ON b.id = x.building_id' END,
    CASE tab WHEN 'people_household' THEN 'households' ELSE 'enterprises' END)
$$;

-- The grids a statement touched, per table (the old and the new rows' grids, so a move counts out of
-- one grid and into the other). Transition tables are visible only in the trigger function itself, so
-- people_touched_sql() writes the query and the trigger runs it. TG_TABLE_NAME is set by PostgreSQL.
CREATE OR REPLACE FUNCTION people_rollup_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text[] := '{}';
    found text[];
    side text;
    none text := '(SELECT * FROM ' || quote_ident(TG_TABLE_NAME) || ' WHERE false)';
    ins text := CASE WHEN TG_OP = 'DELETE' THEN none ELSE 'new_rows' END;
    del text := CASE WHEN TG_OP = 'INSERT' THEN none ELSE 'old_rows' END;
    nestloop text := current_setting('enable_nestloop');
    n bigint;
BEGIN
    -- Rows whose counts are a sum of the rows: the statement's difference, not a recount (see above).
    IF TG_TABLE_NAME = 'people_residence' THEN
        -- A large statement (an import) joins its rows to rooms and residences by hash, not by 100,000
        -- index probes (40 % faster measured); a move stays on the indexes. Restored right after.
        EXECUTE 'SELECT (SELECT count(*) FROM ' || ins || ' AS x) + (SELECT count(*) FROM ' || del || ' AS x)'
            INTO n;
        IF n > 5000 THEN
            PERFORM set_config('enable_nestloop', 'off', true);
        END IF;
        EXECUTE people_residence_delta_sql(ins, del);
        IF n > 5000 THEN
            PERFORM set_config('enable_nestloop', nestloop, true);
        END IF;
        RETURN NULL;
    ELSIF TG_TABLE_NAME IN ('people_household', 'people_enterprise') THEN
        EXECUTE people_rows_delta_sql(TG_TABLE_NAME, ins, del);
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
    END, side)
$$;

-- Recount everything: after a load that ran with these triggers disabled, or to check them.
CREATE OR REPLACE FUNCTION people_rollup_rebuild() RETURNS void LANGUAGE sql VOLATILE AS $$
    DELETE FROM people_unitcount;
    SELECT people_recount(ARRAY(SELECT DISTINCT grid_code::text FROM layers_building WHERE grid_code IS NOT NULL));
$$;
