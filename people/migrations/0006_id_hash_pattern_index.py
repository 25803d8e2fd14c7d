"""Drop the varchar_pattern_ops index Django adds beside a unique CharField's own index: id_hash is only
ever matched for equality (the unique index serves that), never by prefix (LIKE), so the second index
on 64 random characters only cost every insert (an import of 100,000 people maintained both)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0005_area_column'),
    ]

    operations = [
        migrations.RunSQL("DROP INDEX IF EXISTS people_person_id_hash_918359a6_like",
                          "CREATE INDEX IF NOT EXISTS people_person_id_hash_918359a6_like "
                          "ON people_person (id_hash varchar_pattern_ops)"),
    ]
