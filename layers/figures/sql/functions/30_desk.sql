-- The command desk's figures (layers/figures/desk.py adds them up), defined once like the loop's in
-- 10_definitions.sql: departments, supervision, the level a matter was resolved at, mediation.

-- Supervision overdue at `at` (督办超期): the supervision deadline has passed and the matter was not
-- closed by then. The same rule as a matter's own due time (figures_overdue), against the deadline.
CREATE OR REPLACE FUNCTION desk_supervision_overdue(closed_at timestamptz, deadline timestamptz, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT figures_overdue(closed_at, deadline, at)
$$;

-- The rank of an escalation level: the grid itself 0, village/community 1, township/street 2, the county
-- joint group 3. A matter is resolved at the highest level it was escalated to by the time it closed.
CREATE OR REPLACE FUNCTION desk_level_rank(level text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE level WHEN 'village' THEN 1 WHEN 'township' THEN 2 WHEN 'county' THEN 3 ELSE 0 END
$$;

-- A mediation succeeded (调解成功): a full agreement. A partial agreement is counted apart, and
-- neither it nor a pending or failed mediation is a success (济源: 2,573 succeeded of 4,954 = 54.7 %).
CREATE OR REPLACE FUNCTION desk_mediation_succeeded(outcome text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT outcome = 'agreement' $$;

-- A department's dispatch still counts for it at `at`: not ended then by the department's return or a
-- re-dispatch elsewhere.
CREATE OR REPLACE FUNCTION desk_dispatch_held(ended_at timestamptz, at timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ended_at IS NULL OR ended_at > at $$;

-- Returned by the department by `at`.
CREATE OR REPLACE FUNCTION desk_dispatch_returned(ended_at timestamptz, ended text, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ended = 'returned' AND ended_at <= at $$;
