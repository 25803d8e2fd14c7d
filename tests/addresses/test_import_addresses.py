"""import_addresses: buildings and rooms from CSV/Excel, line-numbered refusals, nothing written on failure,
allocation for rows without a code, dry run, scope."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from addresses import importing
from addresses.models import AddressCounter
from geo.access import create_user
from geo.models import AuditRecord
from grids.models import Area
from layers.models import Building, Room
from tests.support.grids import add_building, box

V = "419001103200"
OTHER_V = "419001103201"
HEADER = "地址编码,社区编码,经度,纬度,名称,用途,层数\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "b.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def errors(report) -> set[tuple[int, str]]:
    return {(e.line, e.field) for e in report.errors}


@pytest.fixture
def two_villages(tree):
    """A second village east of the tree (112.6-112.7), to tell "in another village" from "nowhere"."""
    Area.objects.create(code=OTHER_V, name="东村", level=3, parent=tree["township"],
                        boundary=box(112.6, 35.0, 112.7, 35.1))
    return tree


def test_buildings_are_imported_with_allocated_codes_in_file_order(tree, tmp_path):
    add_building(3, 112.45, 35.05)
    path = write(tmp_path, HEADER + f",{V},112.41,35.01,一号楼,住宅,6\n"
                                    f"{V}00020,,112.55,35.05,二十号,商业,\n"
                                    f",{V},112.42,35.02,,,\n"
                                    f",{V},112.5,35.02,on the edge,,\n", "gb18030")
    report, job = importing.run(path, "buildings")
    assert report.ok, report.format()
    assert report.encoding == "gb18030" and report.written == 4
    assert job.codes == [(2, f"{V}00021"), (3, f"{V}00020"), (4, f"{V}00022"), (5, f"{V}00023")]
    # Placed set-based by the trigger's rule: a point on the shared edge goes to the lower code...
    assert Building.objects.get(address_code=f"{V}00023").grid_id == f"{V}001"
    # ...and the trigger places the next write itself again (the import's switch was for its INSERT only).
    assert add_building(30, 112.55, 35.05).grid_id == f"{V}002"
    first = Building.objects.get(address_code=f"{V}00021")
    assert (first.name, first.use, first.floors, first.grid_id) == ("一号楼", "residential", 6, f"{V}001")
    assert Building.objects.get(address_code=f"{V}00020").grid_id == f"{V}002"
    assert AddressCounter.objects.get(prefix=V).last == 23
    record = AuditRecord.objects.get(action=AuditRecord.Action.ADDRESS_CHANGE)
    assert (record.target, record.rows, record.detail["allocated"]) == ("b.csv", 4, 3)


def test_every_bad_building_row_is_named_and_nothing_is_written(two_villages, tmp_path):
    add_building(1, 112.45, 35.05)
    path = write(tmp_path, HEADER
                 + f",{V},112.41,35.01,好,,\n"                 # 2 good
                 + ",41900110320,112.41,35.01,,,\n"            # 3 village: 11 digits
                 + ",419001103299,112.41,35.01,,,\n"           # 4 no such village
                 + f",{V},35.05,112.45,,,\n"                    # 5 swapped (caught per row)
                 + f",{V},112.65,35.05,,,\n"                    # 6 in the other village
                 + f",{V},113.5,35.05,,,\n"                     # 7 in no village
                 + f"{V}00001,,112.45,35.06,,,\n"               # 8 code exists
                 + f"{V}00009,{OTHER_V},112.45,35.06,,,\n"      # 9 code and village disagree
                 + f"{V}00009,,112.45,35.06,,castle,0\n"        # 10 use and floors
                 + f"{V}00010,,east,,,,\n"                      # 11 lat empty (the row's other cells are not read)
                 + f"{V}00011,,112.45,35.06,,,\n"               # 12 good
                 + f"{V}00011,,112.46,35.06,,,\n")              # 13 repeats line 12
    report, _ = importing.run(path, "buildings")
    assert errors(report) == {(3, "village"), (4, "village"), (5, "location"), (6, "location"), (7, "location"),
                              (8, "address_code"), (9, "village"), (10, "use"), (10, "floors"), (11, "lat"),
                              (13, "address_code")}
    by_line = {e.line: e.message for e in report.errors}
    assert "swapped" in by_line[5]
    assert f"it is in {OTHER_V}" in by_line[6]
    assert "no village/community" in by_line[7]
    assert "repeats line 12" in by_line[13]
    assert Building.objects.count() == 1
    assert not AddressCounter.objects.exists()
    assert not AuditRecord.objects.filter(action=AuditRecord.Action.ADDRESS_CHANGE).exists()


def test_a_point_with_lon_and_lat_exchanged_inside_the_village_is_named_swapped(tmp_path, db):
    """Outside China's ranges the per-row test cannot tell; the set-based test sees that the exchanged
    point lies in the village."""
    Area.objects.create(code="419001", name="县", level=1, boundary=box(10, 10, 30, 30))
    Area.objects.create(code="419001103", name="镇", level=2, parent_id="419001", boundary=box(10, 10, 30, 30))
    Area.objects.create(code=V, name="村", level=3, parent_id="419001103", boundary=box(20, 10, 30, 15))
    path = write(tmp_path, HEADER + f",{V},12,25,,,\n")
    report, _ = importing.run(path, "buildings")
    assert errors(report) == {(2, "location")}
    assert "look swapped" in report.errors[0].message


def test_dry_run_allocates_reports_and_keeps_nothing(tree, tmp_path):
    path = write(tmp_path, HEADER + f",{V},112.41,35.01,,,\n")
    report, job = importing.run(path, "buildings", dry_run=True)
    assert report.ok and report.written == 1 and not report.committed
    assert job.codes == [(2, f"{V}00001")]
    assert not Building.objects.exists() and not AddressCounter.objects.exists()


def test_scope_refuses_villages_and_points_outside_it(two_villages, tmp_path):
    path = write(tmp_path, HEADER + f",{V},112.41,35.01,,,\n" + f",{V},112.55,35.01,,,\n")
    report, _ = importing.run(path, "buildings", scope=f"{V}001")  # the west grid only
    assert errors(report) == {(3, "village")}
    report, _ = importing.run(path, "buildings", scope="419001104")
    assert errors(report) == {(2, "village"), (3, "village")}
    assert not Building.objects.exists()


def test_rooms_are_imported_and_numbered_per_floor(tree, tmp_path):
    building = add_building(1, 112.45, 35.05, rooms=2)
    Building.objects.filter(pk=building.pk).update(floors=5)
    b = building.address_code
    path = write(tmp_path, "户室编码,楼栋编码,单元,楼层,房号,户数,人数\n"
                           f",{b},1,1,,1,3\n"
                           f",{b},,3,301,2,5\n"
                           f"{b}02004007,,,,,,\n"
                           f",{b},1,1,,,\n", name="r.csv")
    report, job = importing.run(path, "rooms")
    assert report.ok, report.format()
    assert job.codes == [(2, f"{b}01001003"), (3, f"{b}01003001"), (4, f"{b}02004007"), (5, f"{b}01001004")]
    assert Room.objects.get(address_code=f"{b}01001003").number == "103"
    assert Room.objects.get(address_code=f"{b}01003001").number == "301"
    assert Room.objects.get(address_code=f"{b}01003001").residents == 5
    assert Room.objects.count() == 6


def test_bad_room_rows_are_named(tree, tmp_path, inside_east):
    building = add_building(1, 112.45, 35.05, rooms=1)
    east = add_building(2, 112.55, 35.05)
    b = building.address_code
    path = write(tmp_path, "room code,building code,unit,floor,households\n"
                           f",{b},1,2,\n"                      # 2 floor above the building's 1
                           f",{V}00099,1,1,\n"                 # 3 no building
                           f"{b}01001001,,,,\n"                # 4 exists
                           f"{b}01001002,{east.address_code},,,\n"  # 5 building disagrees with the code
                           f",{b},0,,x\n"                      # 6 unit 0, no floor, households not a number
                           f",{east.address_code},1,1,\n", name="r.csv")  # 7 outside the west scope
    report, _ = importing.run(path, "rooms", scope=f"{V}001")
    assert errors(report) == {(2, "floor"), (3, "building"), (4, "address_code"), (5, "building"), (6, "unit"),
                              (6, "floor"), (6, "households"), (7, "building")}
    assert Room.objects.count() == 1


def test_excel_rooms_with_codes_stored_as_numbers_are_refused(tree, tmp_path):
    add_building(1, 112.45, 35.05)
    book = openpyxl.Workbook()
    book.active.append(["楼栋编码", "楼层"])
    book.active.append([int(f"{V}00001"), 1])
    book.active.append([f"{V}00001", 1])
    path = tmp_path / "r.xlsx"
    book.save(path)
    report, _ = importing.run(path, "rooms")
    assert errors(report) == {(2, "building")}
    assert "format the column as text" in report.errors[0].message


def test_the_command_prints_the_report_and_fails_on_bad_rows(tree, tmp_path, capsys):
    bad = write(tmp_path, HEADER + f",{V},east,35.01,,,\n")
    with pytest.raises(CommandError, match="1 bad rows; nothing written"):
        call_command("import_addresses", str(bad), "--kind", "buildings")
    assert "line 2: lon: 'east' is not a number" in capsys.readouterr().out

    good = write(tmp_path, HEADER + f",{V},112.41,35.01,,,\n", name="good.csv")
    out = tmp_path / "codes.csv"
    call_command("import_addresses", str(good), "--kind", "buildings", "--dry-run", "--codes-out", str(out))
    assert "would be written" in capsys.readouterr().out
    assert not Building.objects.exists()
    assert list(csv.reader(out.open(encoding="utf-8-sig"))) == [["line", "address_code"], ["2", f"{V}00001"]]

    create_user("planner", "planner", f"{V}001")
    call_command("import_addresses", str(good), "--kind", "buildings", "--user", "planner")
    assert AuditRecord.objects.get(action=AuditRecord.Action.ADDRESS_CHANGE).username == "planner"
    create_user("leader", "leader", "")
    with pytest.raises(CommandError, match="addresses permission"):
        call_command("import_addresses", str(good), "--kind", "buildings", "--user", "leader")
