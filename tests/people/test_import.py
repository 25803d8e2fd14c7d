"""import_people and import_enterprises: every bad row reported with its line number (check digit,
credit code, unknown address, duplicate identity), nothing written on a failed or dry run, all rows
written otherwise, identity numbers never stored in clear."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from geo.models import AuditRecord
from people import identity
from people.importing import run_enterprises, run_people
from people.models import Enterprise, Household, Person, Residence
from tests.people.conftest import credit_code, id_number


def write_csv(tmp_path, text: str, name: str = "people.csv", encoding: str = "utf-8-sig"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot() -> tuple[int, ...]:
    return (Person.objects.count(), Residence.objects.count(), Household.objects.count(), Enterprise.objects.count())


def bad_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def test_people_import_writes_every_row(world, tmp_path):
    room, other = world.objs["west_rooms"][2].address_code, world.objs["east_rooms"][1].address_code
    path = write_csv(tmp_path, "姓名,身份证号,户室编码,居住类型,入住日期,户号\n"
                               f"张三,{id_number(101)},{room},自住,2020-05-01,H1\n"
                               f"李四,{id_number(102).lower()},{room},租住,,H1\n"
                               f"王五,{id_number(103)},{other},tenant,2021/01/02,\n")
    before = snapshot()
    report = run_people(path)
    assert report.ok and report.written == 3, report.format()
    assert snapshot() == (before[0] + 3, before[1] + 3, before[2] + 1, before[3])
    zhang = Person.objects.get(name="张三")
    assert zhang.household.number == "H1" and zhang.household.room.address_code == room
    assert zhang.current_residence().moved_in.isoformat() == "2020-05-01"
    assert Person.objects.get(name="李四").household == zhang.household
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM people_person WHERE people_person::text LIKE %s", [f"%{id_number(101)}%"])
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'people_import%%'")
        assert cursor.fetchone()[0] == 0  # the staging table with clear numbers is gone
    assert AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE, rows=3).exists()


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(world, tmp_path):
    room = world.objs["west_rooms"][2].address_code
    path = write_csv(tmp_path, "name,identity number,room code,tenure\n"
                               f"好人,{id_number(201)},{room},owner\n"            # line 2: fine
                               f"坏校验,{bad_digit(id_number(202))},{room},owner\n"  # 3: check digit
                               f"无房,{id_number(203)},4190011032009999901001001,owner\n"  # 4: unknown room
                               f"重复,{id_number(201)},{room},owner\n"           # 5: repeats line 2
                               f"已有,{id_number(0)},{room},owner\n"             # 6: already registered
                               f"怪,{id_number(204)},{room},sometimes\n")        # 7: tenure
    before = snapshot()
    report = run_people(path)
    found = {(e.line, e.field) for e in report.errors}
    assert found == {(3, "id_number"), (4, "room"), (5, "id_number"), (6, "id_number"), (7, "tenure")}, report.format()
    text = report.format()
    assert "line 3: id_number: check digit" in text and "line 5: id_number" in text and "repeats line 2" in text
    assert "line 4: room: no room with address code 4190011032009999901001001" in text
    assert snapshot() == before
    assert not AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE).exists()


def test_a_dry_run_reports_what_it_would_write_and_writes_nothing(world, tmp_path):
    room = world.objs["west_rooms"][2].address_code
    path = write_csv(tmp_path, f"姓名,身份证号,户室编码\n甲,{id_number(301)},{room}\n乙,{id_number(302)},{room}\n")
    before = snapshot()
    report = run_people(path, dry_run=True)
    assert report.ok and report.written == 2 and report.dry_run
    assert snapshot() == before
    assert "dry run: 2 would be written" in report.format()


def test_a_scoped_user_cannot_import_outside_their_area(world, tmp_path):
    from django.contrib.auth import get_user_model

    from geo.access import access_for_user

    westie = access_for_user(get_user_model().objects.get(username="westie"))
    east_room = world.objs["east_rooms"][1].address_code
    path = write_csv(tmp_path, f"姓名,身份证号,户室编码\n甲,{id_number(401)},{east_room}\n")
    report = run_people(path, access=westie)
    assert [(e.line, e.field) for e in report.errors] == [(2, "room")]
    assert "outside your area" in report.format()


def test_enterprises_import_and_its_bad_rows(world, tmp_path):
    west, east = world.objs["west"].address_code, world.objs["east"].address_code
    good = write_csv(tmp_path, "统一社会信用代码,企业名称,楼栋编码,类型,从业人数,法定代表人\n"
                               f"{credit_code(11)},甲公司,{west},企业,12,演示甲\n"
                               f"{credit_code(12)},乙店,{east},个体工商户,,\n", name="ent.csv")
    report = run_enterprises(good)
    assert report.ok and report.written == 2, report.format()
    assert Enterprise.objects.get(name="甲公司").employees == 12
    before = snapshot()
    bad = write_csv(tmp_path, "统一社会信用代码,企业名称,楼栋编码\n"
                              f"{credit_code(13)},丙,{west}\n"
                              f"{bad_digit(credit_code(14))},丁,{west}\n"
                              f"{credit_code(15)},戊,41900110320099999\n"
                              f"{credit_code(11)},己,{west}\n"
                              f"{credit_code(13)},庚,{west}\n", name="bad.csv")
    report = run_enterprises(bad)
    assert {(e.line, e.field) for e in report.errors} == {(3, "credit_code"), (4, "building"), (5, "credit_code"),
                                                          (6, "credit_code")}, report.format()
    assert snapshot() == before


def test_excel_and_the_commands(world, tmp_path):
    room = world.objs["west_rooms"][3].address_code
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "户室编码"])
    sheet.append(["表格人", id_number(501), room])
    sheet.append(["坏人", bad_digit(id_number(502)), room])
    path = tmp_path / "people.xlsx"
    book.save(path)
    out = io.StringIO()
    with pytest.raises(CommandError) as err:
        call_command("import_people", str(path), stdout=out)
    assert "1 bad rows; nothing written" in str(err.value) and "line 3: id_number" in out.getvalue()
    sheet.delete_rows(3)
    book.save(path)
    call_command("import_people", str(path), stdout=out)
    assert Person.objects.filter(name="表格人").exists()


@pytest.mark.parametrize("chunk", [1, 2])
def test_in_chunks_every_row_is_written_and_households_span_chunks(world, tmp_path, chunk):
    """A thread cleans the next chunk while the database writes this one: the result is the same as one
    chunk, a household named in two chunks is one household, and the residences all follow at the end."""
    room, other = world.objs["west_rooms"][2].address_code, world.objs["east_rooms"][1].address_code
    lines = [f"人{i},{id_number(400 + i)},{room if i % 2 else other},自住,2020-05-01,{'H9' if i in (0, 4) else ''}"
             for i in range(5)]
    path = write_csv(tmp_path, "姓名,身份证号,户室编码,居住类型,入住日期,户号\n" + "\n".join(lines) + "\n")
    before = snapshot()
    report = run_people(path, chunk=chunk)
    assert report.ok and report.written == 5, report.format()
    assert snapshot() == (before[0] + 5, before[1] + 5, before[2] + 1, before[3])
    assert Person.objects.get(name="人0").household == Person.objects.get(name="人4").household
    assert Person.objects.get(name="人3").current_residence().room.address_code == room
    assert AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE, rows=5).exists()


def test_in_chunks_a_bad_row_in_a_late_chunk_leaves_nothing_and_every_bad_row_is_reported(world, tmp_path):
    room = world.objs["west_rooms"][2].address_code
    good = [f"好{i},{id_number(500 + i)},{room}" for i in range(6)]
    path = write_csv(tmp_path, "姓名,身份证号,户室编码\n" + "\n".join([
        *good,                                            # lines 2-7: written chunk by chunk, then rolled back
        f"无房,{id_number(510)},4190011032009999901001001",  # 8: unknown room (a set-based check, chunk 4)
        f"重复,{id_number(500)},{room}",                    # 9: repeats line 2 (Python, across chunks)
        f"已有,{id_number(0)},{room}",                      # 10: registered (checked after the failure too)
        f"坏,{bad_digit(id_number(511))},{room}"]) + "\n")  # 11: check digit
    before = snapshot()
    report = run_people(path, chunk=2)
    assert {(e.line, e.field) for e in report.errors} == {(8, "room"), (9, "id_number"), (10, "id_number"),
                                                          (11, "id_number")}, report.format()
    assert report.written == 0 and not report.committed
    assert snapshot() == before
    assert not AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE).exists()


def test_in_chunks_a_file_that_stops_decoding_raises_and_leaves_nothing(world, tmp_path):
    from geo.errors import InvalidInput

    room = world.objs["west_rooms"][2].address_code
    rows = "".join(f"好{i},{id_number(600 + i)},{room}\n" for i in range(6))
    path = tmp_path / "people.csv"
    path.write_bytes(("姓名,身份证号,户室编码\n" + rows).encode() + b"\xff\xfe,bad,row\n")
    before = snapshot()
    with pytest.raises(InvalidInput, match="line 8"):
        run_people(path, chunk=2, encoding="utf-8")
    assert snapshot() == before


@pytest.mark.parametrize("dry_run", [False, True])
@pytest.mark.parametrize("chunk", [2, 100])
def test_an_already_registered_identity_in_an_otherwise_good_file_is_reported_and_nothing_is_written(
        world, tmp_path, chunk, dry_run):
    """The people INSERT itself is the already-registered check (the identity hash's unique index): a file
    whose only fault is a registered person still names that line, and the chunks written before it
    (chunk=2: lines 2-5 are written first) are undone. A registered row in a chunk after the failure is
    found by the look-up that runs for the chunks no longer written (line 9), so every bad row is listed."""
    room = world.objs["west_rooms"][2].address_code
    registered = Person.objects.get(id_hash=identity.id_hash(id_number(0)))
    path = write_csv(tmp_path, "姓名,身份证号,户室编码\n" + "\n".join([
        *(f"好{i},{id_number(700 + i)},{room}" for i in range(4)),  # lines 2-5: fine
        f"好4,{id_number(704)},{room}",                               # 6: fine, same chunk as line 7
        f"已有,{id_number(0)},{room}",                                 # 7: registered (the INSERT refuses it)
        f"好5,{id_number(705)},{room}",                               # 8: fine
        f"又有,{id_number(1)},{room}"]) + "\n")                        # 9: registered too
    before = snapshot()
    report = run_people(path, chunk=chunk, dry_run=dry_run)
    assert [(e.line, e.field) for e in report.errors] == [(7, "id_number"), (9, "id_number")], report.format()
    assert f"line 7: id_number: this identity number is already registered (person #{registered.pk})" in report.format()
    assert report.written == 0 and not report.committed
    assert snapshot() == before
    assert not Person.objects.filter(name__startswith="好").exists()
    assert not AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE).exists()


def test_the_staging_table_never_holds_a_clear_identity_number(world, tmp_path):
    """The identity numbers are encrypted on a second connection while the rows are read (`encrypted`): what
    is staged and written is the ciphertext, which the personal key decrypts to the number."""
    from grids.imports import Good
    from people.importing import PEOPLE_STAGE, encrypted, people_cleaner

    assert "id_clear" not in dict(PEOPLE_STAGE) and dict(PEOPLE_STAGE)["id_cipher"] == "bytea"
    room = world.objs["west_rooms"][2].address_code
    path = write_csv(tmp_path, f"姓名,身份证号,户室编码\n密,{id_number(801)},{room}\n")
    row = people_cleaner(dt.date.today())({"name": "密", "id_number": id_number(802), "room": room, "tenure": None,
                                           "moved_in": None, "phone": None, "household": None})
    with encrypted() as encrypt:
        seen = encrypt([Good(2, row)])
    assert seen[0].line == 2 and seen[0].value.id_clear is None and seen[0].value.id_hash == row.id_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT pgp_sym_decrypt(%s, %s)", [seen[0].value.id_cipher, identity.personal_key().decode()])
        assert cursor.fetchone()[0] == id_number(802)
    report = run_people(path)
    assert report.ok, report.format()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pgp_sym_decrypt(id_cipher, %s) FROM people_person WHERE name = '密'",
                       [identity.personal_key().decode()])
        assert cursor.fetchone()[0] == id_number(801)
