"""Every live database function has one home, a file under <package>/sql/functions/, and the database's
bodies are the files' (applied by migrations through geo.sql.applier).

A function changed by a migration's inline SQL, or a file changed without a migration applying it to
existing databases, makes these fail.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from geo import sql

PACKAGES = ("grids", "layers", "layers.incidents", "layers.figures", "layers.desk", "tiles", "addresses", "people",
            "field")


def live_functions() -> dict[str, str]:
    """{name: definition} of the functions in the public schema that no extension (PostGIS) owns."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT p.proname, pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND p.prokind = 'f'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""")
        return dict(cursor.fetchall())


class Rollback(Exception):
    pass


@pytest.mark.django_db
def test_every_live_function_is_declared_in_one_file():
    declared = sql.declared_functions(PACKAGES)
    assert set(live_functions()) == set(declared)


def drifted() -> list[str]:
    """The functions whose live body differs from its file (the files applied and rolled back)."""
    before = live_functions()
    try:
        with transaction.atomic():
            for package in PACKAGES:
                sql.apply_functions(package)
            after = live_functions()
            raise Rollback
    except Rollback:
        pass
    return sorted(name for name in before if before[name] != after.get(name))


@pytest.mark.django_db
def test_the_database_bodies_are_the_files():
    assert drifted() == [], "the database's bodies differ from the files: add a migration that applies " \
                            "them (geo.sql.applier)"


@pytest.mark.django_db
def test_a_body_changed_outside_its_file_is_found():
    with connection.cursor() as cursor:
        cursor.execute("CREATE OR REPLACE FUNCTION figures_satisfied(rating smallint) RETURNS boolean "
                       "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT rating >= 5 $$")
    assert drifted() == ["figures_satisfied"]


def test_function_files_name_the_time_zone_only_through_the_setting():
    for package in PACKAGES:
        for path in sql.function_files(package):
            assert "Asia/Shanghai" not in path.read_text(encoding="utf-8"), path
