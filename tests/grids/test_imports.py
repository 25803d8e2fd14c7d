"""grids/imports.py: the tabular import framework, on real files and a real PostgreSQL transaction.

The writer here creates grid workers (a small real table) so that "nothing written" is a count.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from geo.errors import InvalidCode, InvalidInput
from grids import imports
from grids.models import Worker

COLUMNS = [
    imports.Column("employee_no", aliases=("工号", "employee number"), text_only=True),
    imports.Column("name", aliases=("姓名",)),
    imports.Column("phone", aliases=("电话", "联系电话"), required=False),
]


def clean(row: dict) -> dict:
    problems = []
    if not row["employee_no"].isdigit():
        problems.append(("employee_no", f"{row['employee_no']!r} is not digits"))
    if row["phone"] is not None and len(row["phone"]) != 11:
        problems.append(("phone", "must have 11 digits"))
    if row["name"] == "code":
        raise InvalidCode("a domain error with a field", field="name")
    if problems:
        raise imports.Invalid(problems)
    return row


def write(rows: list[imports.Good]) -> int:
    Worker.objects.bulk_create([Worker(employee_no=g.value["employee_no"], name=g.value["name"],
                                       phone=g.value["phone"] or "") for g in rows])
    return len(rows)


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "w.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(path: Path, **kwargs) -> imports.Report:
    return imports.run(path, COLUMNS, clean, write, unique={"employee_no": lambda c: c["employee_no"]}, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_each_encoding_is_detected_and_chinese_headers_map(tmp_path, encoding):
    path = csv_file(tmp_path, "工号,姓名,联系电话\n001,张三,13800000000\n002,李四,\n", encoding)
    report = run(path)
    assert report.ok, report.format()
    assert report.encoding == encoding
    assert report.committed and report.written == 2
    assert dict(Worker.objects.values_list("employee_no", "name")) == {"001": "张三", "002": "李四"}


@pytest.mark.django_db
def test_english_headers_map_whatever_their_case_spacing_and_width(tmp_path):
    path = csv_file(tmp_path, "Employee_Number;ＮＡＭＥ;extra\n7;Wang;x\n")
    report = run(path)
    assert report.ok, report.format()
    assert report.ignored == ["extra"]
    assert Worker.objects.get().name == "Wang"


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_line_and_field_and_nothing_is_written(tmp_path):
    path = csv_file(tmp_path, "工号,姓名,电话\n"
                              "001,A,13800000000\n"
                              "x1,B,123\n"          # line 3: two fields bad
                              "\n"                  # blank lines are skipped, numbering goes on
                              "002,,\n"             # line 5: empty required name
                              "001,C,\n"            # line 6: duplicate of line 2
                              "\"003\",\"two\nlines\",\n"  # lines 7-8: a quoted newline
                              "004,code,\n")        # line 9: a GridmapError with a field
    report = run(path)
    assert not report.ok
    got = {(e.line, e.field) for e in report.errors}
    assert got == {(3, "employee_no"), (3, "phone"), (5, "name"), (6, "employee_no"), (9, "name")}
    assert "repeats line 2" in next(e.message for e in report.errors if e.line == 6)
    assert report.rows == 6 and report.bad_lines == 4
    assert not report.committed and Worker.objects.count() == 0
    assert "line 3: phone: must have 11 digits" in report.format()
    assert "nothing written" in report.format()


@pytest.mark.django_db
def test_dry_run_runs_the_writer_and_writes_nothing(tmp_path):
    path = csv_file(tmp_path, "工号,姓名\n001,A\n002,B\n")
    report = run(path, dry_run=True)
    assert report.ok and report.written == 2 and not report.committed
    assert Worker.objects.count() == 0
    assert "would be written" in report.format()


@pytest.mark.django_db
def test_a_check_or_writer_error_rolls_everything_back(tmp_path):
    path = csv_file(tmp_path, "工号,姓名\n001,A\n002,B\n")

    def failing_write(rows):
        write(rows)
        raise imports.RowErrors([imports.RowError(rows[1].line, "name", "refused by the database")])

    report = imports.run(path, COLUMNS, clean, failing_write)
    assert [(e.line, e.field) for e in report.errors] == [(3, "name")]
    assert Worker.objects.count() == 0

    def check(rows):
        return [imports.RowError(g.line, "name", "no") for g in rows if g.value["name"] == "B"]

    report = imports.run(path, COLUMNS, clean, write, check=check)
    assert [(e.line, e.field) for e in report.errors] == [(3, "name")]
    assert Worker.objects.count() == 0


@pytest.mark.django_db
def test_a_constraint_that_fails_in_the_writer_is_reported_not_raised(tmp_path):
    Worker.objects.create(employee_no="002", name="already there")
    report = run(csv_file(tmp_path, "工号,姓名\n001,A\n002,B\n"))
    assert [(e.line, e.field) for e in report.errors] == [(0, "database")]
    assert "refused" in report.errors[0].message
    assert list(Worker.objects.values_list("employee_no", flat=True)) == ["002"]


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_deferred_foreign_key_that_fails_is_reported_before_the_commit(tmp_path, dry_run):
    """Django's foreign keys are checked at commit: a row pointing at a grid that is not there (as if another
    writer had removed it meanwhile) is a reported error, not an exception out of the commit, and a dry run
    finds it as a real run would."""
    from grids.models import Assignment

    def write_dangling(rows: list[imports.Good]) -> int:
        written = write(rows)
        worker = Worker.objects.get(employee_no=rows[0].value["employee_no"])
        Assignment.objects.bulk_create([Assignment(worker=worker, area_id="999999999999999")])
        return written

    report = imports.run(csv_file(tmp_path, "工号,姓名\n001,A\n"), COLUMNS, clean, write_dangling, dry_run=dry_run)
    assert [(e.line, e.field) for e in report.errors] == [(0, "database")], report.format()
    assert not report.committed
    assert Worker.objects.count() == 0 and Assignment.objects.count() == 0


@pytest.mark.django_db
def test_a_header_alone_writes_nothing_and_is_not_an_error(tmp_path):
    report = run(csv_file(tmp_path, "工号,姓名\n\n"))
    assert report.ok and report.rows == 0 and report.written == 0


@pytest.mark.django_db
def test_a_comma_file_is_read_as_one_whatever_its_values_hold(tmp_path):
    path = csv_file(tmp_path, "工号,姓名\n001;x,A;B\n002;y,C;D\n003;z,E;F\n")
    report = imports.run(path, COLUMNS, lambda row: row, write)
    assert report.ok, report.format()
    assert sorted(Worker.objects.values_list("name", flat=True)) == ["A;B", "C;D", "E;F"]


@pytest.mark.django_db
def test_missing_column_is_refused_before_any_row(tmp_path):
    path = csv_file(tmp_path, "工号,电话\n001,13800000000\n")
    with pytest.raises(InvalidInput) as err:
        run(path)
    assert "name (姓名)" in err.value.message and "工号, 电话" in err.value.message


@pytest.mark.django_db
def test_a_given_encoding_that_does_not_fit_names_the_line(tmp_path):
    path = csv_file(tmp_path, "employee_no,name\n" + "001,A\n" * 5 + "002,张三\n", "gb18030")
    with pytest.raises(InvalidInput) as err:
        run(path, encoding="utf-8")
    assert err.value.field == "encoding" and "line 7 " in err.value.message
    assert Worker.objects.count() == 0
    with pytest.raises(InvalidInput):
        run(path, encoding="latin-1")


@pytest.mark.django_db
def test_excel_is_streamed_with_row_numbers_and_numbers_in_code_columns_refused(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["工号", "姓名", "电话"])
    sheet.append(["001", "张三", "13800000000"])
    sheet.append([2, "李四", None])          # a code stored as a number
    sheet.append([None, None, None])         # blank row skipped
    sheet.append(["003", "王五", 13800000001])  # a number in a plain column is text
    sheet["A7"] = "004"                      # after a gap of rows that hold nothing at all
    path = tmp_path / "w.xlsx"
    book.save(path)
    report = run(path)
    assert [(e.line, e.field) for e in report.errors] == [(3, "employee_no"), (7, "name")]
    assert "format the column as text" in report.errors[0].message
    assert Worker.objects.count() == 0

    sheet.delete_rows(7)
    sheet.delete_rows(3)
    book.save(path)
    report = run(path)
    assert report.ok, report.format()
    assert Worker.objects.get(employee_no="003").phone == "13800000001"


def test_a_file_that_is_not_excel_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(InvalidInput) as err:
        imports.read(path, COLUMNS)
    assert "Excel" in err.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("chunk", [None, 1])
def test_a_check_the_writer_makes_runs_alone_only_for_rows_not_written(tmp_path, chunk):
    """`check_unwritten` is left to the writer while it writes (its RowErrors keep the transaction usable, so
    the chunks after are still checked) and run for every row it does not see; `prepare` sees each chunk
    before the checks, in the thread that cleans them, inside its context."""
    path = csv_file(tmp_path, "工号,姓名\n001,A\n002,taken\n003,C\n004,taken\n")
    seen: dict[str, list[int]] = {"unwritten": [], "written": [], "prepared": []}
    entered: list[str] = []

    def refusing_write(rows):
        seen["written"] += [g.line for g in rows]
        bad = [imports.RowError(g.line, "name", "taken") for g in rows if g.value["name"] == "TAKEN"]
        if bad:
            raise imports.RowErrors(bad)
        return write(rows)

    def unwritten(rows):
        seen["unwritten"] += [g.line for g in rows]
        return [imports.RowError(g.line, "name", "taken") for g in rows if g.value["name"] == "TAKEN"]

    class prepare:
        def __enter__(self):
            entered.append("in")

            def upper(rows):
                seen["prepared"] += [g.line for g in rows]
                return [imports.Good(g.line, {**g.value, "name": g.value["name"].upper()}) for g in rows]
            return upper

        def __exit__(self, *exc):
            entered.append("out")

    report = imports.run(path, COLUMNS, clean, refusing_write, chunk=chunk, check_unwritten=unwritten,
                         prepare=prepare)
    assert [(e.line, e.field) for e in report.errors] == [(3, "name"), (5, "name")], report.format()
    assert Worker.objects.count() == 0 and not report.committed
    assert entered == ["in", "out"] and seen["prepared"] == [2, 3, 4, 5]
    if chunk:  # lines 2 and 3 written (3 refused), 4 and 5 checked alone
        assert seen["written"] == [2, 3] and seen["unwritten"] == [4, 5]
    else:  # one chunk: written and refused there, nothing left to check alone
        assert seen["written"] == [2, 3, 4, 5] and seen["unwritten"] == []
