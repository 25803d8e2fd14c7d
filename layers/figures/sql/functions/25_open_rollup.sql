-- The open matters added up per county, township and village (layers_openrollup): how many are open per
-- local month of report, class and local month of their due time. The map's low zooms (a province's
-- counties at z5-7, townships at z8-9, villages at z10-11) count "overdue" per area from these rows
-- instead of visiting every open matter: a matter due in a month before the moment taken is overdue then
-- (figures_overdue: due_at < at), whatever the moment's day; only those due in the moment's own month are read from layers_openincident, through
-- its (area, due_at) indexes. Why this grain: layers/figures/models.py (OpenRollup).
--
-- Kept by statement-level triggers on layers_openincident, which the incident triggers (20_rollup.sql)
-- fill and empty in the same transaction as every write, bulk loads, the rebuild and a county's removal
-- included; so the rollup is the open matters' exact sum whatever path changed them.

-- The upsert adding (sign 1) or taking away (sign -1) a set of open-matter rows, for the county (6 digits),
-- the township (9 digits) and the village (12 digits) of each, in key order (concurrent writers lock shared
-- rows in one order, as figures_rollup_upsert does). `source` is a transition table named by code, never by a request.
CREATE OR REPLACE FUNCTION figures_open_upsert(source text, sign integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT format($q$
    INSERT INTO layers_openrollup AS t (level, area_code, month, category, due_month, n)
    SELECT lv.level, left(r.grid_code, lv.len), figures_month(r.reported_at), r.category, figures_month(r.due_at),
           %1$s * count(*)
    FROM %2$s AS r CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12)) AS lv(level, len)
    WHERE r.grid_code IS NOT NULL AND length(r.grid_code) >= lv.len
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 2, 3, 4, 5
    ON CONFLICT (area_code, month, category, due_month) DO UPDATE SET n = t.n + EXCLUDED.n
$q$, sign, source)
$$;

CREATE OR REPLACE FUNCTION figures_open_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE figures_open_upsert('new_rows', 1);
    ELSE
        EXECUTE figures_open_upsert('old_rows', -1);
    END IF;
    RETURN NULL;
END $$;

-- DELETE, not TRUNCATE (a TRUNCATE naming both tables, as Django's test flush does, would conflict).
CREATE OR REPLACE FUNCTION figures_open_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM layers_openrollup;
    RETURN NULL;
END $$;

-- Recount from layers_openincident (the migration's first count; a check).
CREATE OR REPLACE FUNCTION figures_open_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM layers_openrollup;
    EXECUTE figures_open_upsert('layers_openincident', 1);
END $$;
