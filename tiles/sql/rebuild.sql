-- Recompute the tiles' own derived tables from the source tables, in one transaction (the incident
-- counts they draw are the figures' rollup, recounted by figures_rebuild()). Raw SQL: set-based over
-- every area, with the functions the triggers use. Used by `manage.py rebuild_tiles`.
DELETE FROM tiles_areadisplay;
SELECT tiles_refresh_area_display(code) FROM grids_area WHERE valid_to IS NULL;

-- New versions for everything: every cached tile becomes stale.
DELETE FROM tiles_layerversion;
INSERT INTO tiles_layerversion (layer, area_code, version)
SELECT l.layer, c.code, nextval('tiles_version_seq')
FROM (VALUES ('grids'), ('incidents'), ('buildings'), ('places')) AS l(layer)
CROSS JOIN (SELECT code FROM grids_area UNION ALL SELECT '') AS c;
ANALYZE tiles_areadisplay;
ANALYZE tiles_layerversion;
