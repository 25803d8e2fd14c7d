-- Key-group follow-ups (走访): the one definition of "overdue for follow-up" and of "follow-ups done",
-- read by every reader (people/counts.py: /api/stats, the area detail, the dashboards' 民情 cards; the
-- safety index's `followups_on_cadence` input, analysis/inputs.py; the person's record). Live
-- figures, not kept in people_unitcount: "overdue" changes as time passes, with no write to trigger on.
--
-- A tag is counted at `at` when it is open then (since ≤ the local day of `at` < until) and its person
-- lives then in a room placed in a grid (the residence covering that day: [moved_in, moved_out)), in
-- that grid; so "now" counts where the person lives now, as the key-group counts do, and a past
-- month's end where they lived then. One row per tag: a person in two groups is followed up in each.

-- The day a tag's next follow-up is due: `cadence_days` after the local day of the last follow-up, or
-- after the day the tag began when there has been none. Due on that day, overdue from the day after.
CREATE OR REPLACE FUNCTION people_followup_due(last_at timestamptz, since date, cadence_days integer)
RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(figures_day(last_at), since) + cadence_days
$$;

-- Overdue at `at`: the due day has passed (the tag being open then is the caller's condition).
CREATE OR REPLACE FUNCTION people_followup_overdue(last_at timestamptz, since date, cadence_days integer,
                                                   at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT people_followup_due(last_at, since, cadence_days) < figures_day(at)
$$;

-- Kept on each tag (people_keytag.due_on, .grid_code) so that now's figures are an index range over an
-- area's tags instead of a walk over every open tag in the database: the day its next follow-up is due
-- (people_followup_due of its latest follow-up, the one definition above) and the basic grid where its
-- person lives now (the current residence's building; NULL without one). Kept by people_keytag_keep
-- (a row trigger: a new tag, or one whose person, start or cadence a write names) and people_keytag_refresh
-- (set-based: after follow-ups, residences, rooms or buildings change; the demo loader once). Only now's
-- figures read them; another moment (a past month's end) walks, as before.
CREATE OR REPLACE FUNCTION people_keytag_grid(person bigint) RETURNS varchar
LANGUAGE sql STABLE AS $$
    SELECT b.grid_code FROM people_residence r JOIN layers_room rm ON rm.id = r.room_id
    JOIN layers_building b ON b.id = rm.building_id
    WHERE r.person_id = person AND r.moved_out IS NULL
$$;

CREATE OR REPLACE FUNCTION people_keytag_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.due_on := people_followup_due((SELECT max(f.at) FROM people_followup f WHERE f.tag_id = NEW.id),
                                      NEW.since, NEW.cadence_days);
    NEW.grid_code := people_keytag_grid(NEW.person_id);
    RETURN NEW;
END $$;

-- Recompute the kept columns of the tags `ids` (every tag when NULL), writing only those that changed.
-- PL/pgSQL, not SQL: its body is checked when first run, not when created, and the migrations that apply
-- this file before the columns exist (0002-0008) must be able to.
CREATE OR REPLACE FUNCTION people_keytag_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    UPDATE people_keytag k SET due_on = c.due_on, grid_code = c.grid_code
    FROM (SELECT t.id, people_followup_due(last.at, t.since, t.cadence_days) AS due_on, b.grid_code
          FROM people_keytag t
          LEFT JOIN LATERAL (SELECT max(f.at) AS at FROM people_followup f WHERE f.tag_id = t.id) last ON true
          LEFT JOIN people_residence r ON r.person_id = t.person_id AND r.moved_out IS NULL
          LEFT JOIN layers_room rm ON rm.id = r.room_id
          LEFT JOIN layers_building b ON b.id = rm.building_id
          WHERE ids IS NULL OR t.id = ANY (ids)) c
    WHERE k.id = c.id AND (k.due_on, k.grid_code) IS DISTINCT FROM (c.due_on, c.grid_code);
END $$;

-- The statement triggers that call it (transition tables are visible only in the trigger function itself):
-- follow-ups (their tags), residences (their people's tags), rooms and buildings (the tags of the people
-- living in those whose building or grid changed).
CREATE OR REPLACE FUNCTION people_keytag_touched() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    big boolean;
    nestloop text;
BEGIN
    IF TG_TABLE_NAME = 'people_followup' THEN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT tag_id) INTO ids FROM new_rows;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT tag_id) INTO ids FROM old_rows;
        ELSE
            SELECT array_agg(DISTINCT tag_id) INTO ids FROM (SELECT tag_id FROM old_rows UNION SELECT tag_id FROM new_rows) t;
        END IF;
    ELSIF TG_TABLE_NAME = 'people_residence' THEN
        -- An import of 100,000 new people (or a county's 627,000 residences deleted) touches few tags: one hash
        -- join against the tags, not a probe or a scan per row. The planner takes a transition table for 500
        -- rows, so for a big batch nested loops are refused for this statement only.
        IF TG_OP = 'DELETE' THEN
            big := (SELECT count(*) FROM (SELECT 1 FROM old_rows LIMIT 5001) x) > 5000;
        ELSE
            big := (SELECT count(*) FROM (SELECT 1 FROM new_rows LIMIT 5001) x) > 5000;
        END IF;
        IF big THEN
            nestloop := current_setting('enable_nestloop');
            PERFORM set_config('enable_nestloop', 'off', true);
        END IF;
        IF TG_OP = 'INSERT' THEN
            -- A join, not IN (...): the planner hashes the smaller side, the tags (a few thousand), and the new
            -- rows probe it, where IN grouped and hashed all 100,000 new rows first.
            SELECT array_agg(DISTINCT k.id) INTO ids FROM new_rows n JOIN people_keytag k ON k.person_id = n.person_id;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(k.id) INTO ids FROM people_keytag k WHERE k.person_id IN (SELECT person_id FROM old_rows);
        ELSE
            SELECT array_agg(k.id) INTO ids FROM people_keytag k
            WHERE k.person_id IN (SELECT person_id FROM old_rows UNION SELECT person_id FROM new_rows);
        END IF;
        IF big THEN
            PERFORM set_config('enable_nestloop', nestloop, true);
        END IF;
    -- Rooms and buildings: those whose building or grid changed (EXCEPT, not a join of the two transition
    -- tables on id, which the planner would make a nested loop: it takes each for 500 rows).
    ELSIF TG_TABLE_NAME = 'layers_room' THEN
        SELECT array_agg(k.id) INTO ids
        FROM (SELECT id, building_id FROM new_rows EXCEPT SELECT id, building_id FROM old_rows) n
        JOIN people_residence r ON r.room_id = n.id AND r.moved_out IS NULL
        JOIN people_keytag k ON k.person_id = r.person_id;
    ELSIF TG_TABLE_NAME = 'layers_building' THEN
        SELECT array_agg(k.id) INTO ids
        FROM (SELECT id, grid_code FROM new_rows EXCEPT SELECT id, grid_code FROM old_rows) n
        JOIN layers_room rm ON rm.building_id = n.id
        JOIN people_residence r ON r.room_id = rm.id AND r.moved_out IS NULL
        JOIN people_keytag k ON k.person_id = r.person_id;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM people_keytag_refresh(ids);
    END IF;
    RETURN NULL;
END $$;

-- Per basic grid under `prefix` (one of its codes; '' for everything): the key-group tags open at the
-- moment `taken`; of them, those overdue then (their last follow-up is the latest at or before it); and
-- their follow-ups done in [done_since, taken] (none when done_since is NULL).
-- Now (`taken` within the last minute, on today's local day): the tags' kept grid and due day, an index
-- range over the area's tags (keytag_grid_due), and its follow-ups since done_since by their time's index.
-- Any other moment: one walk from the tags (a few thousand in a county) to each one's residence that day by
-- the person's index, never from the buildings down: a county's prefix matches all of its 600,000 residences.
-- Both count the same thing (tests/people/test_followups.py compares each with SQL written out).
CREATE OR REPLACE FUNCTION people_key_followups(prefix text, taken timestamptz, done_since timestamptz)
RETURNS TABLE (grid_code text, key_persons bigint, overdue bigint, done bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF taken > now() - interval '1 minute' AND figures_day(taken) = figures_day(now()) THEN
        -- Each tag's follow-ups since done_since by its (tag, at) index: a probe per tag of the area, whatever
        -- the statistics say (a join planned on a stale estimate of the area's tags cost 10x).
        RETURN QUERY
        SELECT k.grid_code::text, count(*), count(*) FILTER (WHERE k.due_on < figures_day(taken)),
               coalesce(sum((SELECT count(*) FROM people_followup x
                             WHERE done_since IS NOT NULL AND x.tag_id = k.id AND x.at >= done_since
                               AND x.at <= taken)), 0)::bigint
        FROM people_keytag k
        WHERE k.grid_code LIKE prefix || '%' AND length(k.grid_code) = 15
          AND k.since <= figures_day(taken) AND (k.until IS NULL OR k.until > figures_day(taken))
        GROUP BY 1;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM people_key_followups_walk(prefix, taken, done_since);
END $$;

-- The walk, for any moment (and the check of the kept columns: tests/people/test_followups.py compares the
-- two now).
CREATE OR REPLACE FUNCTION people_key_followups_walk(prefix text, taken timestamptz, done_since timestamptz)
RETURNS TABLE (grid_code text, key_persons bigint, overdue bigint, done bigint)
LANGUAGE sql STABLE AS $$
    WITH open_tags AS MATERIALIZED (
        SELECT k.id, k.person_id, k.since, k.cadence_days FROM people_keytag k
        WHERE k.since <= figures_day(taken) AND (k.until IS NULL OR k.until > figures_day(taken)))
    SELECT b.grid_code::text, count(*),
           count(*) FILTER (WHERE people_followup_overdue(last.at, k.since, k.cadence_days, taken)),
           coalesce(sum(recent.n), 0)::bigint
    FROM open_tags k
    CROSS JOIN LATERAL (SELECT r.room_id FROM people_residence r
                        WHERE r.person_id = k.person_id AND r.moved_in <= figures_day(taken)
                          AND (r.moved_out IS NULL OR r.moved_out > figures_day(taken))
                        ORDER BY r.moved_in DESC LIMIT 1) r
    JOIN layers_room rm ON rm.id = r.room_id
    JOIN layers_building b ON b.id = rm.building_id
    LEFT JOIN LATERAL (SELECT x.at FROM people_followup x WHERE x.tag_id = k.id AND x.at <= taken
                       ORDER BY x.at DESC LIMIT 1) last ON true
    LEFT JOIN LATERAL (SELECT count(*) AS n FROM people_followup x
                       WHERE done_since IS NOT NULL AND x.tag_id = k.id AND x.at >= done_since
                         AND x.at <= taken) recent ON true
    WHERE b.grid_code LIKE prefix || '%' AND length(b.grid_code) = 15
    GROUP BY 1
$$;
