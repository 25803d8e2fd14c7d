-- The one rollup of incident counts (layers_incidentrollup) and the open-matters table
-- (layers_openincident), kept by statement-level triggers on layers_incident so that every write path
-- (intake, the loop, the admin, COPY in bulk loads, a redraw's reassignment) changes them in the same
-- transaction as the incidents. Why this grain, and how readers add it up: layers/figures/models.py.

-- The upsert that adds (sign 1) or subtracts (sign -1) the contribution of a set of incident rows, for
-- each of the four levels a grid code holds (county 6, township 9, village 12, grid 15 digits), to the
-- month of report and to the all-time row (month NULL; the unique key treats NULLs as equal). One
-- text for the trigger, the rebuild and a county's bulk load (layers_incident_loaded), so they can never
-- count differently; `source` is a table or subquery named by code (new_rows, old_rows, layers_incident, a
-- county's partition), never by a request. The rows are summed per grid and month first, then those sums
-- per level: every count and sum is additive, and the eight level rows of each incident are then made from
-- the far fewer grid-month sums (a county's 1 M incidents, measured: 82 s grouped in one step, 7 s in two).
CREATE OR REPLACE FUNCTION figures_rollup_upsert(source text, sign integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT format($q$
    INSERT INTO layers_incidentrollup AS t (level, area_code, month, category, severity, status,
                                            n, late, close_seconds, rated, satisfied, satisfaction_sum)
    SELECT lv.level, left(g.grid_code, lv.len), CASE WHEN t.monthly THEN g.month END,
           g.category, g.severity, g.status, %1$s * sum(g.n), %1$s * sum(g.late), %1$s * sum(g.close_seconds),
           %1$s * sum(g.rated), %1$s * sum(g.satisfied), %1$s * sum(g.satisfaction_sum)
    FROM (SELECT r.grid_code, figures_month(r.reported_at) AS month, r.category, r.severity, r.status,
                 count(*) AS n, count(*) FILTER (WHERE figures_late(r.closed_at, r.due_at)) AS late,
                 coalesce(sum(figures_close_seconds(r.reported_at, r.closed_at)), 0) AS close_seconds,
                 count(r.satisfaction) AS rated, count(*) FILTER (WHERE figures_satisfied(r.satisfaction)) AS satisfied,
                 coalesce(sum(r.satisfaction), 0) AS satisfaction_sum
          FROM %2$s AS r
          WHERE r.grid_code IS NOT NULL
          GROUP BY 1, 2, 3, 4, 5) AS g
         CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
         CROSS JOIN (VALUES (true), (false)) AS t(monthly)
    GROUP BY 1, 2, 3, 4, 5, 6
    -- In key order, so that concurrent writers lock the shared rows (the county's, a township's) in the
    -- same order: hash aggregation's order depends on the other keys of the statement, and two intakes
    -- in one township deadlocked under bench/incidents (a 500 every ~2,000 reports).
    ORDER BY 2, 3, 4, 5, 6
    ON CONFLICT (area_code, month, category, severity, status) DO UPDATE SET
        n = t.n + EXCLUDED.n, late = t.late + EXCLUDED.late,
        close_seconds = t.close_seconds + EXCLUDED.close_seconds, rated = t.rated + EXCLUDED.rated,
        satisfied = t.satisfied + EXCLUDED.satisfied,
        satisfaction_sum = t.satisfaction_sum + EXCLUDED.satisfaction_sum
$q$, sign, source)
$$;

-- The INSERT of a set of incident rows' open ones into layers_openincident: one text for the trigger, the
-- rebuild and a county's bulk-loaded partition (layers_incident_loaded); `source` named by code, as above.
CREATE OR REPLACE FUNCTION figures_open_insert(source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT format($q$
    INSERT INTO layers_openincident (id, grid_code, due_at, reported_at, category, severity, source, status,
                                     accepted_at, accept_due_at)
    SELECT r.id, r.grid_code, r.due_at, r.reported_at, r.category, r.severity, r.source, r.status,
           r.accepted_at, r.accept_due_at
    FROM %s AS r WHERE r.closed_at IS NULL
$q$, source)
$$;

-- The rows of an UPDATE whose counted columns changed (`side` o: as they were, n: as they are now).
-- Steps that change none of them (accept, dispatch, start...) cost a join on one row and no upsert.
CREATE OR REPLACE FUNCTION figures_changed_rows(side text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT format($q$(SELECT %1$s.* FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
      WHERE (o.grid_code, o.reported_at, o.category, o.severity, o.status, o.closed_at, o.due_at, o.satisfaction)
            IS DISTINCT FROM
            (n.grid_code, n.reported_at, n.category, n.severity, n.status, n.closed_at, n.due_at, n.satisfaction))$q$,
    side)
$$;

CREATE OR REPLACE FUNCTION figures_incident_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE figures_rollup_upsert('new_rows', 1);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE figures_rollup_upsert('old_rows', -1);
        DELETE FROM layers_openincident WHERE id IN (SELECT id FROM old_rows);
    ELSE
        EXECUTE figures_rollup_upsert(figures_changed_rows('o'), -1);
        EXECUTE figures_rollup_upsert(figures_changed_rows('n'), 1);
        DELETE FROM layers_openincident WHERE id IN (SELECT id FROM old_rows);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE figures_open_insert('new_rows');
    END IF;
    RETURN NULL;
END $$;

-- DELETE, not TRUNCATE: Django's test flush truncates several tables at once, which would conflict.
CREATE OR REPLACE FUNCTION figures_incident_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM layers_incidentrollup;
    DELETE FROM layers_openincident;
    RETURN NULL;
END $$;

-- Recount both tables from layers_incident: after a load that ran with these triggers disabled, after
-- a change of time zone (manage.py rebuild_figures), or to check them.
CREATE OR REPLACE FUNCTION figures_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM layers_incidentrollup;
    DELETE FROM layers_openincident;
    EXECUTE figures_rollup_upsert('layers_incident', 1);
    EXECUTE figures_open_insert('layers_incident');
END $$;
