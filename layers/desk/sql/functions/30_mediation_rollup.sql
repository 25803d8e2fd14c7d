-- The mediation rollup (layers_mediationrollup; why: layers/desk/models.py MediationRollup), kept by
-- statement-level triggers on layers_mediation, like the incidents' rollup: every write path (the desk's
-- actions, the demo loader's INSERT, the cohort copy following a redraw) changes it in the same
-- transaction. `source` is a transition table named by code, never by a request.
CREATE OR REPLACE FUNCTION desk_mediation_rollup_upsert(source text, sign integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT format($q$
    INSERT INTO layers_mediationrollup AS t (level, area_code, month, route, outcome, next_step, n, followed_up)
    SELECT lv.level, left(r.grid_code, lv.len), figures_month(r.reported_at), r.route, r.outcome, r.next_step,
           %1$s * count(*), %1$s * count(r.followed_up_at)
    FROM %2$s AS r CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
    WHERE r.grid_code IS NOT NULL AND r.reported_at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (area_code, month, route, outcome, next_step) DO UPDATE SET
        n = t.n + EXCLUDED.n, followed_up = t.followed_up + EXCLUDED.followed_up
$q$, sign, source)
$$;

CREATE OR REPLACE FUNCTION desk_mediation_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE desk_mediation_rollup_upsert('old_rows', -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        EXECUTE desk_mediation_rollup_upsert('new_rows', 1);
    END IF;
    RETURN NULL;
END
$$;

-- DELETE, not TRUNCATE: a TRUNCATE of several tables (Django's flush between tests) may name the
-- rollup too, and a nested TRUNCATE of a table the statement holds is refused.
CREATE OR REPLACE FUNCTION desk_mediation_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM layers_mediationrollup;
    RETURN NULL;
END
$$;
