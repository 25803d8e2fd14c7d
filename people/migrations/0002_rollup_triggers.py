"""pgcrypto (identity numbers are encrypted in the database: people/identity.py), the people rollup's
functions (people/sql/functions/20_rollup.sql) and its statement-level triggers on every table a count
reads, then one count of what is already there."""

from django.db import migrations

from geo.sql import applier

TABLES = ("people_residence", "people_household", "people_enterprise", "people_keytag", "layers_room",
          "layers_building")


def triggers() -> str:
    out = []
    for table in TABLES:
        out.append(f"""
CREATE TRIGGER people_rollup_insert AFTER INSERT ON {table}
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION people_rollup_rows();
CREATE TRIGGER people_rollup_update AFTER UPDATE ON {table}
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION people_rollup_rows();
CREATE TRIGGER people_rollup_delete AFTER DELETE ON {table}
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION people_rollup_rows();""")
    return "\n".join(out) + "\nSELECT people_rollup_rebuild();"


def drop_triggers() -> str:
    return "\n".join(f"DROP TRIGGER IF EXISTS people_rollup_{op} ON {table};"
                     for table in TABLES for op in ("insert", "update", "delete"))


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0001_initial"),
        ("tiles", "0005_figures_rollup"),
    ]

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pgcrypto", migrations.RunSQL.noop),
        migrations.RunPython(applier("people"), migrations.RunPython.noop),
        migrations.RunSQL(triggers(), drop_triggers()),
    ]
