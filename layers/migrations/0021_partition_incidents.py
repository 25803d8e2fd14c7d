"""Partition layers_incident and layers_incidentevent by county (LIST on county_code), issue 21.

Why by county: docs/scale.md ("Partitioned by county"). The tables are rebuilt as partitioned tables with
the same columns, indexes, checks, outgoing foreign keys and triggers (read back from the catalog, so
nothing is restated here), plus county_code (the first six digits of the grid code; '' outside every
grid, in the DEFAULT partitions); the rows are copied, one partition per county of the areas and of the
rows. A partitioned table's keys must name the partition key: the primary keys become (id, county_code),
the client-id key (client_id, county_code) (id first: lookups by id or client id alone use them), and each county's events reference its incidents by (county_code,
incident_id), partition to partition. Every other reference to an incident loses its database constraint and is
kept by the triggers of layers/sql/functions/partitions.sql.
"""

from django.db import migrations, models

from geo.sql import applier

# Pointing at an incident without its county: (table, column, trigger name).
POINTING = [
    ("layers_dispatch", "incident_id", "dispatch_incident_exists"),
    ("layers_supervision", "incident_id", "supervision_incident_exists"),
    ("layers_escalation", "incident_id", "escalation_incident_exists"),
    ("layers_mediation", "incident_id", "mediation_incident_exists"),
    ("people_incidentlink", "incident_id", "incidentlink_incident_exists"),
    ("field_visit", "incident_id", "visit_incident_exists"),
    ("field_videopatrol", "incident_id", "videopatrol_incident_exists"),
]

FORWARD = r"""
CREATE TEMP TABLE partition_saved (ord serial, kind text, statement text) ON COMMIT DROP;
-- What the new tables must have again, read from the catalog while the old ones exist: secondary
-- indexes, foreign keys onto other tables, user triggers.
INSERT INTO partition_saved (kind, statement)
SELECT 'index', pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid IN ('layers_incident'::regclass, 'layers_incidentevent'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid)
ORDER BY i.relname;
INSERT INTO partition_saved (kind, statement)
SELECT 'fk', format('ALTER TABLE %I ADD CONSTRAINT %I %s', conrelid::regclass::text, conname, pg_get_constraintdef(oid))
FROM pg_constraint
WHERE conrelid IN ('layers_incident'::regclass, 'layers_incidentevent'::regclass) AND contype = 'f'
  AND confrelid <> 'layers_incident'::regclass
ORDER BY conname;
INSERT INTO partition_saved (kind, statement)
SELECT 'trigger', pg_get_triggerdef(oid) FROM pg_trigger
WHERE tgrelid IN ('layers_incident'::regclass, 'layers_incidentevent'::regclass) AND NOT tgisinternal
ORDER BY tgname;

-- Every foreign key onto the incidents goes (the events' comes back per county, with the county).
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT conrelid::regclass::text AS tab, conname FROM pg_constraint
             WHERE confrelid = 'layers_incident'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', r.tab, r.conname);
    END LOOP;
END $$;

ALTER TABLE layers_incident RENAME TO layers_incident_unpartitioned;
ALTER TABLE layers_incidentevent RENAME TO layers_incidentevent_unpartitioned;
ALTER INDEX layers_incident_pkey RENAME TO layers_incident_unpartitioned_pkey;
ALTER INDEX layers_incidentevent_pkey RENAME TO layers_incidentevent_unpartitioned_pkey;
ALTER TABLE layers_incident_unpartitioned RENAME CONSTRAINT incident_client_id TO incident_client_id_unpartitioned;
CREATE TABLE layers_incident (
    LIKE layers_incident_unpartitioned INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE,
    county_code varchar(6) NOT NULL DEFAULT ''
) PARTITION BY LIST (county_code);
CREATE TABLE layers_incidentevent (
    LIKE layers_incidentevent_unpartitioned INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS
        INCLUDING STORAGE,
    county_code varchar(6) NOT NULL DEFAULT ''
) PARTITION BY LIST (county_code);
-- The keys first, on the empty tables: every partition made below takes them (the events' foreign key needs
-- the incidents' key); the other indexes once the rows are in, one sort each.
ALTER TABLE layers_incident ADD CONSTRAINT layers_incident_pkey PRIMARY KEY (id, county_code);
ALTER TABLE layers_incidentevent ADD CONSTRAINT layers_incidentevent_pkey PRIMARY KEY (id, county_code);
ALTER TABLE layers_incident ADD CONSTRAINT incident_client_id UNIQUE (client_id, county_code);
CREATE TABLE layers_incident_default PARTITION OF layers_incident DEFAULT;
CREATE TABLE layers_incidentevent_default PARTITION OF layers_incidentevent DEFAULT;
ALTER TABLE layers_incidentevent_default ADD CONSTRAINT layers_incidentevent_default_incident
    FOREIGN KEY (county_code, incident_id) REFERENCES layers_incident_default (county_code, id)
    DEFERRABLE INITIALLY DEFERRED;
SELECT layers_incident_partition(c) FROM (
    SELECT code AS c FROM grids_area WHERE level = 1 AND code ~ '^[0-9]{6}$'
    UNION SELECT DISTINCT left(grid_code, 6) FROM layers_incident_unpartitioned WHERE grid_code IS NOT NULL) AS s
ORDER BY c;
-- Foreign keys checked as the rows go in: pending checks would keep the indexes below from being built.
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO layers_incident SELECT o.*, coalesce(left(o.grid_code, 6), '') FROM layers_incident_unpartitioned o;
INSERT INTO layers_incidentevent SELECT e.*, i.county_code
FROM layers_incidentevent_unpartitioned e JOIN layers_incident i ON i.id = e.incident_id;
DO $$
DECLARE seq text;
BEGIN
    FOREACH seq IN ARRAY ARRAY['layers_incident', 'layers_incidentevent'] LOOP
        EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), coalesce(max(id), 0) + 1, false) FROM %I',
                       seq, seq);
    END LOOP;
END $$;
DROP TABLE layers_incidentevent_unpartitioned;
DROP TABLE layers_incident_unpartitioned;
-- The identity sequences keep their usual names (LIKE took a new one while the old name was in use).
DO $$
DECLARE seq text;
BEGIN
    FOREACH seq IN ARRAY ARRAY['layers_incident', 'layers_incidentevent'] LOOP
        IF pg_get_serial_sequence(seq, 'id') <> 'public.' || seq || '_id_seq' THEN
            EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', pg_get_serial_sequence(seq, 'id'), seq || '_id_seq');
        END IF;
    END LOOP;
END $$;
-- Then the indexes, the foreign keys onto other tables and the triggers (after the copy: the rollups already
-- count those rows).
DO $$
DECLARE s text;
BEGIN
    FOR s IN SELECT statement FROM partition_saved ORDER BY kind = 'trigger', kind = 'fk', ord LOOP
        EXECUTE s;
    END LOOP;
END $$;
CREATE CONSTRAINT TRIGGER incident_duplicate_exists AFTER INSERT OR UPDATE OF duplicate_of_id ON layers_incident
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.duplicate_of_id IS NOT NULL)
    EXECUTE FUNCTION layers_incident_duplicate_must_exist();
CREATE TRIGGER incident_nothing_points AFTER DELETE ON layers_incident REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION layers_incident_nothing_points();
""" + "\n".join(
    f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OF {column} ON {table} DEFERRABLE INITIALLY DEFERRED "
    f"FOR EACH ROW WHEN (NEW.{column} IS NOT NULL) EXECUTE FUNCTION layers_incident_must_exist('{column}');"
    for table, column, name in POINTING)


def state_only_fk(model: str, name: str, field) -> migrations.AlterField:
    return migrations.AlterField(model_name=model, name=name, field=field)


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0020_placement_preplaced'),
        ('field', '0006_coverage_indexes'),
        ('people', '0008_rollup_new_buildings'),
    ]

    operations = [
        migrations.RunPython(applier("layers"), migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD)],
            state_operations=[
                migrations.AddField(
                    model_name='incident', name='county_code',
                    field=models.CharField(blank=True, db_default='', editable=False, max_length=6,
                                           help_text='the county of the grid at the location: the table\'s '
                                                     'partition')),
                migrations.AddField(
                    model_name='incidentevent', name='county_code',
                    field=models.CharField(blank=True, db_default='', editable=False, max_length=6,
                                           help_text="the incident's county: the table's partition")),
                migrations.RemoveConstraint(model_name='incident', name='incident_client_id'),
                migrations.AddConstraint(
                    model_name='incident',
                    constraint=models.UniqueConstraint(fields=('client_id', 'county_code'), name='incident_client_id')),
                state_only_fk('incident', 'duplicate_of', models.ForeignKey(
                    blank=True, db_constraint=False, db_index=False, null=True,
                    on_delete=models.deletion.SET_NULL, related_name='duplicates', to='layers.incident')),
                state_only_fk('incidentevent', 'incident', models.ForeignKey(
                    db_constraint=False, on_delete=models.deletion.CASCADE, related_name='events',
                    to='layers.incident')),
                state_only_fk('dispatch', 'incident', models.ForeignKey(
                    db_constraint=False, on_delete=models.deletion.CASCADE, related_name='dispatches',
                    to='layers.incident')),
                state_only_fk('escalation', 'incident', models.ForeignKey(
                    db_constraint=False, on_delete=models.deletion.CASCADE, related_name='escalations',
                    to='layers.incident')),
                state_only_fk('supervision', 'incident', models.OneToOneField(
                    db_constraint=False, on_delete=models.deletion.CASCADE, primary_key=True, related_name='supervision',
                    serialize=False, to='layers.incident')),
                state_only_fk('mediation', 'incident', models.OneToOneField(
                    db_constraint=False, on_delete=models.deletion.CASCADE, primary_key=True, related_name='mediation',
                    serialize=False, to='layers.incident')),
            ],
        ),
    ]
