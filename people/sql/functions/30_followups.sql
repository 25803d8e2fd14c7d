-- Key-group follow-ups (走访): the one definition of "overdue for follow-up" and of "follow-ups done",
-- read by every reader (people/counts.py: /api/stats, the area detail, the dashboards' 民情 cards; the
-- safety index's `followups_on_cadence` input, people/indexinput.py; the person's record). Live
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

-- Per basic grid under `prefix` (one of its codes; '' for everything): the key-group tags open at `at`
-- and, of them, those overdue then (their last follow-up is the latest at or before `at`).
CREATE OR REPLACE FUNCTION people_key_followups(prefix text, taken timestamptz)
RETURNS TABLE (grid_code text, key_persons bigint, overdue bigint)
LANGUAGE sql STABLE AS $$
    SELECT b.grid_code::text, count(*),
           count(*) FILTER (WHERE people_followup_overdue(f.last_at, k.since, k.cadence_days, taken))
    FROM people_keytag k
    JOIN people_residence r ON r.person_id = k.person_id AND r.moved_in <= figures_day(taken)
         AND (r.moved_out IS NULL OR r.moved_out > figures_day(taken))
    JOIN layers_room rm ON rm.id = r.room_id
    JOIN layers_building b ON b.id = rm.building_id
    LEFT JOIN LATERAL (SELECT max(x.at) AS last_at FROM people_followup x
                       WHERE x.tag_id = k.id AND x.at <= taken) f ON true
    WHERE k.since <= figures_day(taken) AND (k.until IS NULL OR k.until > figures_day(taken))
      AND b.grid_code LIKE prefix || '%' AND length(b.grid_code) = 15
    GROUP BY 1
$$;

-- Per basic grid under `prefix`: follow-ups done in [from_t, to_t), each counted where its person lived
-- on the day it was done.
CREATE OR REPLACE FUNCTION people_followups_done(prefix text, from_t timestamptz, to_t timestamptz)
RETURNS TABLE (grid_code text, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT b.grid_code::text, count(*)
    FROM people_followup f
    JOIN people_keytag k ON k.id = f.tag_id
    JOIN people_residence r ON r.person_id = k.person_id AND r.moved_in <= figures_day(f.at)
         AND (r.moved_out IS NULL OR r.moved_out > figures_day(f.at))
    JOIN layers_room rm ON rm.id = r.room_id
    JOIN layers_building b ON b.id = rm.building_id
    WHERE f.at >= from_t AND f.at < to_t AND b.grid_code LIKE prefix || '%' AND length(b.grid_code) = 15
    GROUP BY 1
$$;
