"""Two more derived tables, measured on full-scale 济源 (1M incidents):

- tiles_incidenttotal: the rollup without its month, for tiles with no period filter (the default
  view): a grid has ~40 rows here against ~240 in the monthly rollup.
- tiles_openincident: the open incidents only (~1 % of all), so that the overdue count, which
  depends on the clock and cannot be rolled up, scans a few thousand narrow rows instead of fetching
  scattered rows of the big table (83 ms → a few ms for a z12 workload tile).

Both are maintained by the same statement-level triggers as the monthly rollup.
"""

from django.db import migrations

TOTAL = """
        INSERT INTO tiles_incidenttotal AS t (level, area_code, category, severity, status, n, n_late)
        SELECT lv.level, left(r.grid_code, lv.len), r.category, r.severity, r.status,
               {sign} count(*), {sign} count(*) FILTER (WHERE r.closed_at > r.due_at)
        FROM {rows} AS r
        CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
        WHERE r.grid_code IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT (area_code, category, severity, status)
        DO UPDATE SET n = t.n + EXCLUDED.n, n_late = t.n_late + EXCLUDED.n_late;"""

MONTHLY = """
        INSERT INTO tiles_incidentrollup AS t (level, area_code, month, category, severity, status, n, n_late)
        SELECT lv.level, left(r.grid_code, lv.len),
               date_trunc('month', r.reported_at AT TIME ZONE 'Asia/Shanghai')::date,
               r.category, r.severity, r.status,
               {sign} count(*), {sign} count(*) FILTER (WHERE r.closed_at > r.due_at)
        FROM {rows} AS r
        CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
        WHERE r.grid_code IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (area_code, month, category, severity, status)
        DO UPDATE SET n = t.n + EXCLUDED.n, n_late = t.n_late + EXCLUDED.n_late;"""

OPEN_INSERT = """
        INSERT INTO tiles_openincident (id, grid_code, due_at, reported_at, category, severity, source, status)
        SELECT r.id, r.grid_code, r.due_at, r.reported_at, r.category, r.severity, r.source, r.status
        FROM new_rows r WHERE r.status <> 'closed';"""

CHANGED = """(SELECT {side}.* FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE (o.grid_code, o.status, o.category, o.severity, o.reported_at, o.closed_at > o.due_at)
                    IS DISTINCT FROM
                    (n.grid_code, n.status, n.category, n.severity, n.reported_at, n.closed_at > n.due_at))"""


def both(sign: str, rows: str) -> str:
    return MONTHLY.format(sign=sign, rows=rows) + TOTAL.format(sign=sign, rows=rows)


FORWARD = f"""
CREATE TABLE tiles_incidenttotal (
    level smallint NOT NULL, area_code varchar(16) NOT NULL, category varchar(20) NOT NULL,
    severity varchar(10) NOT NULL, status varchar(16) NOT NULL,
    n integer NOT NULL DEFAULT 0, n_late integer NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, category, severity, status)
);
CREATE INDEX tiles_incidenttotal_level ON tiles_incidenttotal (level, area_code);

CREATE TABLE tiles_openincident (
    id bigint PRIMARY KEY, grid_code varchar(16), due_at timestamptz, reported_at timestamptz NOT NULL,
    category varchar(20) NOT NULL, severity varchar(10) NOT NULL, source varchar(24) NOT NULL,
    status varchar(16) NOT NULL
);
CREATE INDEX tiles_openincident_grid ON tiles_openincident (grid_code);

CREATE OR REPLACE FUNCTION tiles_incident_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {both('', 'new_rows')}
        {OPEN_INSERT}
    ELSIF TG_OP = 'DELETE' THEN
        {both('-', 'old_rows')}
        DELETE FROM tiles_openincident WHERE id IN (SELECT id FROM old_rows);
    ELSE
        {both('-', CHANGED.format(side='o'))}
        {both('', CHANGED.format(side='n'))}
        DELETE FROM tiles_openincident WHERE id IN (SELECT id FROM old_rows);
        {OPEN_INSERT}
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tiles_bump_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tiles_layerversion SET version = nextval('tiles_version_seq') WHERE layer = TG_ARGV[0];
    PERFORM tiles_bump(TG_ARGV[0], '');
    IF TG_ARGV[0] = 'incidents' THEN
        DELETE FROM tiles_incidentrollup;
        DELETE FROM tiles_incidenttotal;
        DELETE FROM tiles_openincident;
    END IF;
    RETURN NULL;
END $$;

INSERT INTO tiles_incidenttotal (level, area_code, category, severity, status, n, n_late)
SELECT level, area_code, category, severity, status, sum(n), sum(n_late)
FROM tiles_incidentrollup GROUP BY 1, 2, 3, 4, 5;
INSERT INTO tiles_openincident (id, grid_code, due_at, reported_at, category, severity, source, status)
SELECT id, grid_code, due_at, reported_at, category, severity, source, status
FROM layers_incident WHERE status <> 'closed';
"""

BACKWARD = "DROP TABLE IF EXISTS tiles_incidenttotal; DROP TABLE IF EXISTS tiles_openincident;"


class Migration(migrations.Migration):
    dependencies = [("tiles", "0003_rollup_without_arrays")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
