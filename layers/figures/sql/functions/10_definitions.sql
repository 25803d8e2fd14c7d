-- The definitions of every incident figure, once, as IMMUTABLE SQL functions. Every reader (the
-- rollup's trigger, tiles, exports, OGC, /api/stats, the dashboards, the weekly ranking, Django's
-- IncidentQuerySet) calls these; PostgreSQL inlines single-expression SQL functions, so a call costs
-- what the expression costs and indexes on the columns are still used.
--
-- `at` is the moment a figure is taken at: the end of the period (or now, if it has not ended), so
-- last March reads the same today as it did in April. A figure counts the period's cohort (the matters
-- reported in it); the loop's step times alone decide where each stood at `at`.

-- The zone local days and months are counted in: GRIDMAP_TIME_ZONE when the functions were applied.
-- A system check (layers.figures.checks) refuses to start when the setting has changed since, and
-- `manage.py rebuild_figures` re-applies these files and recounts the rollup for the new zone.
CREATE OR REPLACE FUNCTION gridmap_time_zone() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {{time_zone}}::text $$;

-- The local calendar month a moment falls in (its first day): the rollup's grain.
CREATE OR REPLACE FUNCTION figures_month(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_trunc('month', t AT TIME ZONE {{time_zone}})::date $$;

-- The local calendar day of a moment.
CREATE OR REPLACE FUNCTION figures_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (t AT TIME ZONE {{time_zone}})::date $$;

-- Closed by `at` (closed_at is set by the close step and by nothing else; a check constraint ties it to
-- status 'closed'). Open at `at` is its negation.
CREATE OR REPLACE FUNCTION figures_closed(closed_at timestamptz, at timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT closed_at <= at $$;

-- Closed after its due time (whenever that was). A matter with no due time is never late.
CREATE OR REPLACE FUNCTION figures_late(closed_at timestamptz, due_at timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT closed_at > due_at $$;

-- Closed by `at`, no later than its due time: closing exactly at the due time is on time, and a matter
-- with no due time is on time.
CREATE OR REPLACE FUNCTION figures_on_time(closed_at timestamptz, due_at timestamptz, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT closed_at <= at AND (due_at IS NULL OR closed_at <= due_at)
$$;

-- Overdue at `at`: the due time has passed (strictly) and the matter was not closed by then. That is:
-- still open at `at` past its due time, or closed after its due time. It becomes overdue the instant
-- after due_at.
CREATE OR REPLACE FUNCTION figures_overdue(closed_at timestamptz, due_at timestamptz, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT due_at < at AND (closed_at IS NULL OR closed_at > due_at)
$$;

-- Acceptance overdue (受理超期) at `at`: still open and not yet accepted then, and its acceptance limit
-- has passed (strictly, as for overdue). Once accepted, no longer flagged: the event log keeps when.
-- A live figure, like an open matter's overdue: counted from the open matters (layers_openincident).
CREATE OR REPLACE FUNCTION figures_accept_overdue(accepted_at timestamptz, accept_due_at timestamptz,
                                                  closed_at timestamptz, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT accept_due_at < at AND (accepted_at IS NULL OR accepted_at > at) AND (closed_at IS NULL OR closed_at > at)
$$;

-- Due within 24 h (临期) at `at`: open then, not yet overdue (due_at >= at), and due in the next 24
-- hours. Interval arithmetic by subtraction: `at + interval` is only STABLE and would stop the inlining.
CREATE OR REPLACE FUNCTION figures_due_soon(closed_at timestamptz, due_at timestamptz, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT due_at >= at AND due_at - at < interval '24 hours' AND (closed_at IS NULL OR closed_at > at)
$$;

-- Seconds from report to closure (NULL while open): the mean time to close sums these.
CREATE OR REPLACE FUNCTION figures_close_seconds(reported_at timestamptz, closed_at timestamptz)
RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT extract(epoch FROM closed_at - reported_at)::float8
$$;

-- Satisfied (满意): a rating of 4 or 5 on the 1-5 scale, as in 济源's satisfaction rate.
CREATE OR REPLACE FUNCTION figures_satisfied(rating smallint) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT rating >= 4 $$;
