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

-- Per basic grid under `prefix` (one of its codes; '' for everything): the key-group tags open at the
-- moment `taken`; of them, those overdue then (their last follow-up is the latest at or before it); and
-- their follow-ups done in [done_since, taken] (none when done_since is NULL).
-- One walk from the tags (a few thousand in a county) to each one's residence that day by the person's
-- index, never from the buildings down: a county's prefix matches all of its 600,000 residences.
CREATE OR REPLACE FUNCTION people_key_followups(prefix text, taken timestamptz, done_since timestamptz)
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
