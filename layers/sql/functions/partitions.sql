-- The incidents and their events are partitioned by county (LIST on county_code, the first six digits of
-- the incident's grid code; '' for an incident outside every grid, kept in the DEFAULT partition). Why by
-- county and not by time: docs/scale.md ("Partitioned by county"). One county's load, replacement and
-- removal then create, fill and drop that county's own tables and indexes, and never rewrite another's.

-- The partition names of a county ('' names the default partitions).
CREATE OR REPLACE FUNCTION layers_incident_partition_name(base text, county text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT base || '_' || CASE WHEN county = '' THEN 'default' ELSE county END
$$;

-- Create a county's partitions of the tables named (both by default) when they are missing. Rows of the
-- county written before (they sat in the default partitions) move into them, through standalone tables
-- attached afterwards: a partition cannot be created while the default one holds rows that belong to it.
-- Returns how many it created. Takes the partitioned tables' locks, as any DDL on them does.
CREATE OR REPLACE FUNCTION layers_incident_partition(
    county text, bases text[] DEFAULT ARRAY['layers_incidentevent', 'layers_incident']
) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    base text;
    part text;
    created text[] := '{}';
BEGIN
    IF county !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'a county code has six digits, not %', county USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Events out of the default partition first, incidents into theirs first; the events' foreign key is
    -- deferred, so it is checked once everything is back in place.
    FOREACH base IN ARRAY bases LOOP
        part := layers_incident_partition_name(base, county);
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
                       part, base);
        -- The partition constraint as a check, so ATTACH does not scan the table to prove it.
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (county_code = %L)', part, part || '_county', county);
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE county_code = %L RETURNING *) INSERT INTO %I '
                       'SELECT * FROM moved', layers_incident_partition_name(base, ''), county, part);
        created := created || base;
    END LOOP;
    FOREACH base IN ARRAY ARRAY['layers_incident', 'layers_incidentevent'] LOOP
        CONTINUE WHEN NOT base = ANY(created);
        PERFORM layers_incident_attach(base, county);
    END LOOP;
    RETURN cardinality(created);
END $$;

-- Attach a county's standalone table (named by layers_incident_partition_name) as its partition of `base`.
-- PostgreSQL builds the partitioned indexes on it that it lacks (one sort each, over this county's rows
-- only): how load_demo bulk-loads a county's events. The events' foreign key onto their incidents is one
-- per county, from the county's events partition to its incidents partition (checked by one join of the
-- two): declared on the partitioned tables, it would tie every county's partitions together, and dropping a
-- county's incidents would first check every county's events for references (and refuse the DROP).
CREATE OR REPLACE FUNCTION layers_incident_attach(base text, county text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part text := layers_incident_partition_name(base, county);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = part::regclass AND conname = part || '_county') THEN
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (county_code = %L)', part, part || '_county', county);
    END IF;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES IN (%L)', base, part, county);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_county');
    IF base = 'layers_incidentevent' THEN
        PERFORM layers_incident_event_key(county);
    END IF;
END $$;

-- What the partitioned incidents table's statement triggers do after an INSERT (figures_incident_rows: the
-- rollup and the open matters; desk_supervise_large_risk; tiles_bump_placed), for the rows of a county's
-- incidents table filled while it stood alone: load_demo's bulk load COPYs a county's incidents into its own
-- table without indexes or triggers and attaches it afterwards, and ATTACH fires no trigger. The same
-- statement texts as the triggers' (figures_rollup_upsert, figures_open_insert, desk_large_risk_sql,
-- tiles_bump_rows_sql), over the county's table instead of the transition table: they can never count
-- differently. Call it once, after the table was filled and attached (a supervision row's reference to its
-- incident is checked against layers_incident); it reads only that county's table.
CREATE OR REPLACE FUNCTION layers_incident_loaded(county text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part text := quote_ident(layers_incident_partition_name('layers_incident', county));
BEGIN
    EXECUTE figures_rollup_upsert(part, 1);
    EXECUTE figures_open_insert(part);
    EXECUTE desk_large_risk_sql(part);
    EXECUTE tiles_bump_rows_sql('incidents', part);
END $$;

-- The foreign key of a county's events onto its incidents (both partitions must exist).
CREATE OR REPLACE FUNCTION layers_incident_event_key(county text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    part text := layers_incident_partition_name('layers_incidentevent', county);
BEGIN
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (county_code, incident_id) REFERENCES %I (county_code, id) '
                   'DEFERRABLE INITIALLY DEFERRED', part, part || '_incident',
                   layers_incident_partition_name('layers_incident', county));
END $$;

-- Drop a county's partitions (load_demo --replace and --remove, after delete_county.sql removed what points
-- at its incidents): the rollups' rows of the county go with them (a DROP fires no DELETE trigger).
CREATE OR REPLACE FUNCTION layers_incident_drop_partitions(county text) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    base text;
    dropped integer := 0;
BEGIN
    IF county !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'a county code has six digits, not %', county USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH base IN ARRAY ARRAY['layers_incidentevent', 'layers_incident'] LOOP
        IF to_regclass(layers_incident_partition_name(base, county)) IS NOT NULL THEN
            EXECUTE format('DROP TABLE %I', layers_incident_partition_name(base, county));
            dropped := dropped + 1;
        END IF;
    END LOOP;
    DELETE FROM layers_incidentrollup WHERE area_code LIKE county || '%';
    DELETE FROM layers_openincident WHERE grid_code LIKE county || '%';
    -- The incidents' tiles over the county are stale (as tiles_bump_placed does for a DELETE).
    UPDATE tiles_layerversion SET version = nextval('tiles_version_seq')
    WHERE layer = 'incidents' AND area_code LIKE county || '_%';
    INSERT INTO tiles_layerversion (layer, area_code, version)
    VALUES ('incidents', county, nextval('tiles_version_seq'))
    ON CONFLICT (layer, area_code) DO UPDATE SET version = EXCLUDED.version;
    RETURN dropped;
END $$;

-- Foreign keys onto an incident from tables that do not carry its county (the desk's rows, visits, video
-- patrols, people links, an incident's duplicate_of) cannot reference the partitioned table's key
-- (id, county_code). Their integrity is kept by these two triggers instead: a row that points at an incident
-- must find it (a deferred constraint trigger on the pointing table, as a foreign key's check), and a
-- DELETE of incidents must leave nothing pointing at them (Django deletes or clears the pointing rows first,
-- on_delete; fixtures/sql/delete_county.sql deletes them first). TG_ARGV[0]: the pointing column.
CREATE OR REPLACE FUNCTION layers_incident_must_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ref bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
BEGIN
    IF ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM layers_incident WHERE id = ref) THEN
        RAISE EXCEPTION 'insert or update on table "%" violates its reference to an incident', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (%s)=(%s) is not present in layers_incident.',
                                                                    TG_ARGV[0], ref);
    END IF;
    RETURN NULL;
END $$;

-- The incident's own duplicate_of: the same check without to_jsonb (which would render the location).
CREATE OR REPLACE FUNCTION layers_incident_duplicate_must_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.duplicate_of_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM layers_incident WHERE id = NEW.duplicate_of_id)
    THEN
        RAISE EXCEPTION 'insert or update on table "layers_incident" violates its reference to an incident'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (duplicate_of_id)=(%s) is not present in layers_incident.', NEW.duplicate_of_id);
    END IF;
    RETURN NULL;
END $$;

-- After a DELETE of incidents: nothing may point at them any more (what ON DELETE NO ACTION would check).
CREATE OR REPLACE FUNCTION layers_incident_nothing_points() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pointing text;
BEGIN
    SELECT t INTO pointing FROM (VALUES
        ('layers_dispatch', EXISTS (SELECT 1 FROM layers_dispatch x JOIN old_rows o ON o.id = x.incident_id)),
        ('layers_supervision', EXISTS (SELECT 1 FROM layers_supervision x JOIN old_rows o ON o.id = x.incident_id)),
        ('layers_escalation', EXISTS (SELECT 1 FROM layers_escalation x JOIN old_rows o ON o.id = x.incident_id)),
        ('layers_mediation', EXISTS (SELECT 1 FROM layers_mediation x JOIN old_rows o ON o.id = x.incident_id)),
        ('people_incidentlink', EXISTS (SELECT 1 FROM people_incidentlink x JOIN old_rows o ON o.id = x.incident_id)),
        ('field_visit', EXISTS (SELECT 1 FROM field_visit x JOIN old_rows o ON o.id = x.incident_id)),
        ('field_videopatrol', EXISTS (SELECT 1 FROM field_videopatrol x JOIN old_rows o ON o.id = x.incident_id)),
        ('layers_incident', EXISTS (SELECT 1 FROM layers_incident x JOIN old_rows o ON o.id = x.duplicate_of_id)))
        AS r(t, hit) WHERE hit LIMIT 1;
    IF pointing IS NOT NULL THEN
        RAISE EXCEPTION 'delete on table "layers_incident" leaves rows of "%" pointing at a deleted incident', pointing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
