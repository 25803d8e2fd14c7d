"""Now's key-group follow-up figures without a walk over every tag in the database: each tag keeps the
day its next follow-up is due and the basic grid its person lives in (people_keytag.due_on, .grid_code,
indexed together), kept by triggers (people/sql/functions/30_followups.sql): a row trigger on the tags
themselves, statement triggers on follow-ups, residences, rooms and buildings. Then one fill of the tags
already there."""

from django.db import migrations, models

from geo.sql import applier

# (table, operations): the statement triggers that refresh the tags a write touched. Rooms and buildings
# matter only when updated (a room's building, a building's grid changes); a new one has no residents yet.
STATEMENT = (("people_followup", ("insert", "update", "delete")), ("people_residence", ("insert", "update", "delete")),
             ("layers_room", ("update",)), ("layers_building", ("update",)))
TRANSITION = {"insert": "NEW TABLE AS new_rows", "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
              "delete": "OLD TABLE AS old_rows"}


def triggers() -> str:
    out = ["CREATE TRIGGER people_keytag_keep BEFORE INSERT OR UPDATE OF person_id, since, cadence_days "
           "ON people_keytag FOR EACH ROW EXECUTE FUNCTION people_keytag_keep();"]
    for table, ops in STATEMENT:
        out += [f"CREATE TRIGGER people_keytag_{op} AFTER {op.upper()} ON {table} REFERENCING {TRANSITION[op]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION people_keytag_touched();" for op in ops]
    return "\n".join(out) + "\nSELECT people_keytag_refresh(NULL);"


def drop_triggers() -> str:
    return "\n".join(["DROP TRIGGER IF EXISTS people_keytag_keep ON people_keytag;"]
                     + [f"DROP TRIGGER IF EXISTS people_keytag_{op} ON {table};" for table, ops in STATEMENT
                        for op in ops])


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0008_rollup_new_buildings'),
        ('layers', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='keytag',
            name='due_on',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='keytag',
            name='grid_code',
            field=models.CharField(blank=True, editable=False, max_length=16, null=True),
        ),
        migrations.AddIndex(
            model_name='keytag',
            index=models.Index(fields=['grid_code', 'due_on'], name='keytag_grid_due',
                               opclasses=['varchar_pattern_ops', 'date_ops']),
        ),
        migrations.RunPython(applier("people"), migrations.RunPython.noop),
        migrations.RunSQL(triggers(), drop_triggers()),
    ]
