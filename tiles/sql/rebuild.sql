-- Recompute every derived table of the tiles from the source tables, in one transaction.
-- Used after bulk loads that bypass triggers, and by `manage.py rebuild_tiles`.
DELETE FROM tiles_areadisplay;
SELECT tiles_refresh_area_display(code) FROM grids_area WHERE valid_to IS NULL;

DELETE FROM tiles_incidentrollup;
INSERT INTO tiles_incidentrollup (level, area_code, month, category, severity, status, n, n_late)
SELECT lv.level, left(i.grid_code, lv.len),
       date_trunc('month', i.reported_at AT TIME ZONE 'Asia/Shanghai')::date,
       i.category, i.severity, i.status,
       count(*), count(*) FILTER (WHERE i.closed_at > i.due_at)
FROM layers_incident i
CROSS JOIN (VALUES (1, 6), (2, 9), (3, 12), (4, 15)) AS lv(level, len)
WHERE i.grid_code IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;

DELETE FROM tiles_incidenttotal;
INSERT INTO tiles_incidenttotal (level, area_code, category, severity, status, n, n_late)
SELECT level, area_code, category, severity, status, sum(n), sum(n_late)
FROM tiles_incidentrollup GROUP BY 1, 2, 3, 4, 5;

DELETE FROM tiles_openincident;
INSERT INTO tiles_openincident (id, grid_code, due_at, reported_at, category, severity, source, status)
SELECT id, grid_code, due_at, reported_at, category, severity, source, status
FROM layers_incident WHERE status <> 'closed';

-- New versions for everything: every cached tile becomes stale.
DELETE FROM tiles_layerversion;
INSERT INTO tiles_layerversion (layer, area_code, version)
SELECT l.layer, c.code, nextval('tiles_version_seq')
FROM (VALUES ('grids'), ('incidents'), ('buildings'), ('places')) AS l(layer)
CROSS JOIN (SELECT code FROM grids_area UNION ALL SELECT '') AS c;
ANALYZE tiles_areadisplay;
ANALYZE tiles_incidentrollup;
ANALYZE tiles_layerversion;
ANALYZE tiles_incidenttotal;
ANALYZE tiles_openincident;
