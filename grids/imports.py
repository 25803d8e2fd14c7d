"""Import tables from the files a district actually has: CSV (UTF-8, UTF-8 with BOM, GB18030) and Excel.

One framework for every tabular import (addresses, people, enterprises), so that each of them reads
files, maps headers, reports bad rows and keeps "nothing written on failure" the same way. The caller
says what the columns are and how a row is checked and written; this module does the rest.

API
---
Describe the columns, write a row check and a writer, call `run`::

    from grids import imports

    COLUMNS = [
        imports.Column("code", aliases=("地址编码", "address code"), text_only=True),
        imports.Column("name", aliases=("名称",), required=False),
    ]

    def clean(row: dict[str, str | None]) -> dict:      # row: canonical name -> stripped text or None
        if not row["code"].isdigit():
            raise imports.Invalid("code", "must be digits")   # or Invalid([("code", "..."), ("name", "...")])
        return {"code": row["code"], "name": row["name"] or ""}

    def write(rows: list[imports.Good]) -> int:          # inside the run's one transaction
        ...  # e.g. imports.copy_into_temp(...) then INSERT ... SELECT; return how many were written

    report = imports.run(path, COLUMNS, clean, write, dry_run=False, encoding=None,
                         unique={"code": lambda c: c["code"]}, check=None, progress=True)
    print(report.format())          # every bad row with its line number and field
    report.ok, report.written, report.errors  # errors: list[imports.RowError(line, field, message)]

- `Column(name, aliases, required=True, text_only=False)`: a header matches the name or any alias after
  normalisation (Unicode NFKC, case, spaces, "_" and "-" ignored), so "地址编码", "Address_Code" and
  "address code" all map. A required column missing from the header stops the run with `InvalidInput`
  naming it and the headers found; a row with an empty required cell is a bad row of that field.
  `text_only` refuses Excel cells stored as numbers (a 17-digit code as a number has lost digits).
  `clean` is called only for rows whose required cells are all filled, so it can rely on them; a row
  with an empty required cell (or a refused number) is reported for those cells.
  Columns the file has that no Column names are ignored and listed in `Report.ignored`.
- `clean(row)` gets a dict of every Column's name to the cell as stripped text (None when empty or
  missing) and returns the cleaned row (anything), or raises `Invalid` (one field or several). A
  `GridmapError` with a `field` (InvalidCode, InvalidInput...) is taken as `Invalid` too, so the domain
  validators can be called as they are. Any other exception is a bug and propagates.
- `unique`: field name -> key function of the cleaned row (a None key is skipped); a repeated key is a
  bad row naming the first line that had it.
- `check(rows) -> iterable of RowError`: optional set-based checks over all good rows at once (database
  lookups in one query, not one per row). It runs inside the transaction, before `write`, so it may stage
  rows in a temporary table that `write` then uses (`copy_into_temp`). It runs even when other rows
  failed `clean`, so one run reports every bad row; `write` then is not called.
- `write(rows) -> int`: called only when no row is bad (and there is at least one), inside the same
  transaction. It may raise `Invalid`/`RowErrors` for problems it finds while writing (having left the
  transaction usable: in a chunked run the chunks after are still checked); an IntegrityError (a
  constraint another writer made fail meanwhile) is reported too; the transaction then rolls back.
- `check_unwritten(rows) -> iterable of RowError`: optional, a check that `write` makes by writing (e.g. a
  unique index refusing a row, reported by `RowErrors`), so that it costs nothing more while the rows are
  written; `run` calls it itself only for the rows `write` will not see (a run already failed), so one
  run still reports every bad row.
- `prepare()`: optional, a context manager whose value is called on each chunk of good rows before `check`
  and returns the rows to check and write. It is entered in the thread that cleans the rows (a chunked
  run), so work that needs no transaction (e.g. a computation on a second connection that it opens and
  closes) runs beside the database's writing of the chunk before.
- A dry run (`dry_run=True`) does everything, the writer included, and rolls the transaction back: the
  report says exactly what a real run would write (allocated codes too), and nothing stays. A real run
  commits only if no row is bad: one transaction, all rows or none.
- `encoding`: None detects: a UTF-8 BOM, else UTF-8 if the first 64 KiB decode as UTF-8, else GB18030
  (which includes GBK and GB2312). A byte that does not decode later stops the run naming the line.
- Line numbers are the file's: the header is line 1 (a CSV record with a quoted newline counts its
  physical lines), and for Excel they are the sheet's row numbers. `sheet` picks an Excel sheet (default:
  the first). Excel is read with openpyxl in read-only (streaming) mode.
- `progress=True` shows a progress bar on stderr (tqdm) while reading and checking long files.

Speed: reading, mapping and `clean` are plain Python over tuples (several 100,000 rows/s for a simple
`clean`); `copy_into_temp` sends the good rows with COPY, so the database part is set-based.
"""

from __future__ import annotations

import codecs
import csv
import queue
import sys
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connection, transaction
from psycopg import sql as pgsql

from geo.errors import GridmapError, InvalidInput

SAMPLE_BYTES = 64 * 1024
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
ENCODINGS = {"utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312"}
# A report lists every bad row; the text shown at a terminal stops after this many lines (the count
# is always complete).
SHOW_AT_MOST = 1000


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    text_only: bool = False


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.field}: {self.message}"


class Invalid(Exception):
    """A bad row: `Invalid("field", "message")` or `Invalid([("field", "message"), ...])`."""

    def __init__(self, field_or_pairs: str | Sequence[tuple[str, str]], message: str = "") -> None:
        if isinstance(field_or_pairs, str):
            self.pairs = [(field_or_pairs, message)]
        else:
            self.pairs = list(field_or_pairs)
        super().__init__("; ".join(f"{f}: {m}" for f, m in self.pairs))


class RowErrors(Exception):
    """Raised by a writer that found bad rows while writing (line-numbered); the run rolls back."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} bad rows")


@dataclass
class Good:
    """A row that passed `clean`: its line number and the cleaned value."""

    line: int
    value: Any


@dataclass
class Report:
    source: str
    encoding: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    written: int = 0
    dry_run: bool = False
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})

    def format(self, limit: int = SHOW_AT_MOST) -> str:
        """The report as a person reads it: one line per problem, then the outcome."""
        lines = [str(e) for e in sorted(self.errors, key=lambda e: (e.line, e.field))[:limit]]
        if len(self.errors) > limit:
            lines.append(f"... and {len(self.errors) - limit} more problems")
        if self.ignored:
            lines.append(f"columns not used: {', '.join(self.ignored)}")
        if self.errors:
            lines.append(f"{self.source}: {self.rows} rows, {self.bad_lines} bad; nothing written")
        elif self.dry_run:
            lines.append(f"{self.source}: {self.rows} rows, all good; dry run: {self.written} would be written, "
                         "nothing written")
        else:
            lines.append(f"{self.source}: {self.rows} rows, all good; {self.written} written")
        return "\n".join(lines)


def normalise(header: str) -> str:
    """A header as it is compared: NFKC (full-width → ASCII), case-folded, without spaces, "_" or "-"."""
    text = unicodedata.normalize("NFKC", str(header or "")).casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "_-")


def detect_encoding(path: Path) -> str:
    """utf-8-sig for a BOM; utf-8 if the first 64 KiB decode as UTF-8; else gb18030."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # final=False: a multi-byte character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def map_header(header: Sequence[Any], columns: Sequence[Column]) -> tuple[list[int | None], list[str]]:
    """For each Column, the index of its header in the file (None if absent); and the unused headers."""
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        key = normalise(name)
        if key and key not in found:
            found[key] = i
    positions: list[int | None] = []
    used: set[int] = set()
    missing = []
    for column in columns:
        index = None
        for candidate in (column.name, *column.aliases):
            index = found.get(normalise(candidate))
            if index is not None:
                break
        if index is None and column.required:
            missing.append(column)
        if index is not None:
            used.add(index)
        positions.append(index)
    if missing:
        names = "; ".join(f"{c.name} ({', '.join(c.aliases)})" if c.aliases else c.name for c in missing)
        shown = ", ".join(str(h) for h in header if h not in (None, ""))
        raise InvalidInput(f"the file has no column for {names}; its header is: {shown}", field="header")
    ignored = [str(h) for i, h in enumerate(header) if i not in used and h not in (None, "")]
    return positions, ignored


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    """(line, cells) from a CSV; line is the physical line where the record starts (header = 1)."""
    handle = open(path, encoding=encoding, newline="", errors="strict")
    try:
        try:
            sample = handle.read(SAMPLE_BYTES)
            handle.seek(0)
            reader = csv.reader(handle, delimiter=_delimiter(sample))
            start = 1
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"{path.name}: line {_undecodable_line(path, encoding)} is not valid {encoding} ({exc.reason}); "
                "give the file's encoding with --encoding (utf-8, gb18030)", field="encoding",
            ) from exc
    finally:
        handle.close()


def _delimiter(sample: str) -> str:
    """The header line's separator: a comma if it has one, else a tab or a semicolon (what Excel writes
    in some locales). Decided from the header alone: a sniffer guessing from the data can take a
    character that only happens to repeat in the values."""
    header = sample.lstrip("\ufeff").splitlines()[0] if sample.strip() else ""
    for candidate in (",", "\t", ";"):
        if candidate in header:
            return candidate
    return ","


def _undecodable_line(path: Path, encoding: str) -> int:
    """The line of the first byte that does not decode (read again in binary: only on failure)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.readline(), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return line
            line += 1
    return line


def _excel_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) from an .xlsx sheet, streamed (openpyxl read-only mode)."""
    import openpyxl  # imported here: only Excel imports need it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{path.name}: cannot read it as an Excel .xlsx file: {exc}", field="file") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidInput(f"{path.name} has no sheet {sheet!r}; it has {', '.join(book.sheetnames)}",
                               field="sheet")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        # Some writers store a wrong sheet size (A1:A1); read-only mode would stop there.
        ws.reset_dimensions()
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        book.close()


def _cell(value: Any, column: Column) -> str | None:
    """A cell as stripped text (None when empty); a number in a text-only column is refused."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if column.text_only:
            raise Invalid(column.name, f"stored as a number in Excel ({value!r}); format the column as text: "
                                       "a number loses leading zeros and digits")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip() or None


def read(path: Path, columns: Sequence[Column], *, encoding: str | None = None,
         sheet: str | None = None) -> tuple[str, list[str], Iterator[tuple[int, dict[str, str | None] | Invalid]]]:
    """Open a file: (encoding used, ignored headers, iterator of (line, row dict or the cell's Invalid)).

    Blank lines are skipped. The header row is the first non-blank row."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", field="file")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        used, raw = "xlsx", _excel_rows(path, sheet)
    elif path.suffix.lower() == ".xls":
        raise InvalidInput(f"{path.name}: the old Excel .xls format is not read; save it as .xlsx or CSV",
                           field="file")
    else:
        if encoding is not None and codecs.lookup(encoding).name not in {codecs.lookup(e).name for e in ENCODINGS}:
            raise InvalidInput(f"encoding {encoding!r}: use utf-8, utf-8-sig or gb18030", field="encoding")
        used = encoding or detect_encoding(path)
        raw = _csv_rows(path, used)
    header: list[Any] | None = None
    for _line, cells in raw:
        if any(c not in (None, "") for c in cells):
            header = cells
            break
    if header is None:
        raise InvalidInput(f"{path.name} is empty (no header row)", field="file")
    if header and isinstance(header[0], str):
        header[0] = header[0].lstrip("\ufeff")  # a BOM read with a utf-8 (not -sig) encoding
    positions, ignored = map_header(header, columns)
    plan = list(zip(columns, positions, strict=True))

    def rows() -> Iterator[tuple[int, dict[str, str | None] | Invalid]]:
        for line, cells in raw:
            # any() in C first: only a row whose cells are all falsy (blank, or an Excel 0) is looked at
            # cell by cell; a generator per row cost ~1 µs of every row of a 100,000-row import.
            if not any(cells) and not any(c not in (None, "") for c in cells):
                continue
            n = len(cells)
            row: dict[str, str | None] = {}
            problems: list[tuple[str, str]] = []
            for column, index in plan:
                if index is None or index >= n:
                    value = None
                else:
                    value = cells[index]
                    if value.__class__ is str:  # every CSV cell: _cell's first case, without the call
                        value = value.strip() or None
                    else:
                        try:
                            value = _cell(value, column)
                        except Invalid as exc:
                            problems.extend(exc.pairs)
                            value = None
                if value is None and column.required:
                    if not problems or problems[-1][0] != column.name:
                        problems.append((column.name, "is empty"))
                row[column.name] = value
            yield line, (Invalid(problems) if problems else row)

    return used, ignored, rows()


def run(path: Path | str, columns: Sequence[Column], clean: Callable[[dict[str, str | None]], Any],
        write: Callable[[list[Good]], int], *, dry_run: bool = False, encoding: str | None = None,
        sheet: str | None = None, unique: dict[str, Callable[[Any], Any]] | None = None,
        check: Callable[[list[Good]], Iterable[RowError]] | None = None, progress: bool = False,
        chunk: int | None = None, finish: Callable[[], None] | None = None,
        check_unwritten: Callable[[list[Good]], Iterable[RowError]] | None = None,
        prepare: Callable[[], AbstractContextManager[Callable[[list[Good]], list[Good]]]] | None = None) -> Report:
    """Read, clean and check every row, then write them all in one transaction, or none (see the module doc).

    With `chunk` (rows), the file is read and cleaned by a thread while the database checks and writes the
    previous chunk: `check` and `write` are called once per chunk of good rows, in file order, and `finish()`
    once after the last `write`; a chunk is written only while no row so far is bad, and a run that found
    one still checks the rest (every bad row reported) and then rolls back, so nothing stays either way.

    `check_unwritten`: a check the writer makes by writing (a unique index refusing a row, which `write`
    reports by raising `RowErrors`): it costs nothing more there, so it is run on its own only for the rows
    `write` does not see — those of a run that already failed, the failing chunk's included — and one run
    still reports every bad row. `prepare()`: a context manager, entered in the thread that cleans the rows
    (or before the checks, without `chunk`), whose value is called on each chunk of good rows before
    `check` and returns the rows to check and write: work that needs no transaction (e.g. a computation on
    a second connection, closed on leaving) done beside the database's writing of the chunk before."""
    path = Path(path)
    used, ignored, rows = read(path, columns, encoding=encoding, sheet=sheet)
    report = Report(source=path.name, encoding=used, ignored=ignored, dry_run=dry_run)
    if chunk is not None:
        return _run_chunked(path, report, rows, clean, write, unique, check, progress, chunk, finish,
                            check_unwritten, prepare)
    good: list[Good] = []
    for batch in _cleaned(path, report, rows, clean, unique, progress, report.errors, None):
        good.extend(batch)
    if prepare is not None and good:
        with prepare() as prepared:
            good = prepared(good)
    # The set-based checks run even when some rows failed above, so that one run reports every bad row;
    # the writer runs only when none did.
    with transaction.atomic():
        if check is not None and good:
            report.errors.extend(check(good))
        if report.errors and check_unwritten is not None and good:
            report.errors.extend(check_unwritten(good))
        if not report.errors and good:
            with _write_errors(report):
                report.written = write(good)
                _check_constraints()
        if report.errors or dry_run:
            transaction.set_rollback(True)
        else:
            report.committed = True
    return report


def _cleaned(path: Path, report: Report, rows: Iterator, clean: Callable, unique: dict | None, progress: bool,
             errors: list[RowError], size: int | None) -> Iterator[list[Good]]:
    """The good rows, in lists of `size` (one list of all when None); bad rows go to `errors`, and
    `report.rows` counts every row read."""
    good: list[Good] = []
    seen: dict[str, dict[Any, int]] = {name: {} for name in (unique or {})}
    bar = _progress(progress, path)
    for line, row in rows:
        report.rows += 1
        if bar is not None and report.rows % 1000 == 0:
            bar.update(1000)
        if isinstance(row, Invalid):
            errors.extend(RowError(line, f, m) for f, m in row.pairs)
            continue
        try:
            value = clean(row)
        except Invalid as exc:
            errors.extend(RowError(line, f, m) for f, m in exc.pairs)
            continue
        except GridmapError as exc:
            errors.append(RowError(line, exc.field or "row", exc.message))
            continue
        duplicate = False
        for name, key_of in (unique or {}).items():
            key = key_of(value)
            if key is None:
                continue
            first = seen[name].setdefault(key, line)
            if first != line:
                errors.append(RowError(line, name, f"{key} repeats line {first}"))
                duplicate = True
        if not duplicate:
            good.append(Good(line, value))
            if size is not None and len(good) >= size:
                yield good
                good = []
    if bar is not None:
        bar.update(report.rows % 1000)
        bar.close()
    if good or size is None:
        yield good


_DONE = object()


def _run_chunked(path: Path, report: Report, rows: Iterator, clean: Callable, write: Callable, unique: dict | None,
                 check: Callable | None, progress: bool, size: int, finish: Callable[[], None] | None,
                 check_unwritten: Callable | None = None, prepare: Callable | None = None) -> Report:
    """`run` with a chunk size: a thread reads and cleans (pure Python, no database but `prepare`'s own) while
    this thread, which owns the connection, has PostgreSQL check and write the chunk before; on 2 cores the
    Python half is hidden behind the database's (it waits on the socket without the GIL). The thread's bad
    rows go to its own list, read here only after it handed over the chunk they precede."""
    cleaned: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    clean_errors: list[RowError] = []

    def produce() -> None:
        try:
            with (prepare() if prepare is not None else nullcontext(None)) as prepared:
                for batch in _cleaned(path, report, rows, clean, unique, progress, clean_errors, size):
                    if prepared is not None and batch:
                        batch = prepared(batch)
                    # The count of bad rows so far travels with the chunk: a chunk is written only if it is 0.
                    while not stop.is_set():
                        try:
                            cleaned.put((batch, len(clean_errors)), timeout=0.5)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
            cleaned.put((_DONE, len(clean_errors)))
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread, which raises it
            cleaned.put((exc, 0))

    reader = threading.Thread(target=produce, name=f"import {path.name}", daemon=True)
    reader.start()
    try:
        with transaction.atomic():
            failed = broken = False
            while True:
                batch, bad_so_far = cleaned.get()
                if batch is _DONE:
                    break
                if isinstance(batch, BaseException):
                    raise batch
                if broken:  # a writer failed: the transaction may be aborted; the rest is only read
                    continue
                if check is not None and batch:
                    report.errors.extend(check(batch))
                failed = failed or bool(bad_so_far or report.errors)
                if failed and check_unwritten is not None and batch:
                    report.errors.extend(check_unwritten(batch))
                if not failed and batch:
                    guard = _write_errors(report)
                    with guard:
                        report.written += write(batch)
                    # Bad rows the writer reported (RowErrors, Invalid) leave the transaction usable: the
                    # chunks after are still checked. A refused statement (IntegrityError) aborted it.
                    failed = bool(report.errors)
                    broken = guard.aborted
            report.errors[:0] = clean_errors
            if not report.errors and report.written:
                with _write_errors(report):
                    if finish is not None:
                        finish()
                    _check_constraints()
            if report.errors or report.dry_run:
                transaction.set_rollback(True)
            else:
                report.committed = True
    finally:
        stop.set()
        reader.join()
    if report.errors:
        report.written = 0
    return report


class _write_errors:
    """Problems a writer meets become the report's errors (the caller rolls back)."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.aborted = False

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, _tb) -> bool:
        if isinstance(exc, RowErrors):
            self.report.errors.extend(exc.errors)
        elif isinstance(exc, Invalid):
            self.report.errors.extend(RowError(0, f, m) for f, m in exc.pairs)
        elif isinstance(exc, IntegrityError):
            # A constraint the checks could not see coming (another writer took a code meanwhile).
            self.report.errors.append(RowError(0, "database", f"refused the rows: {exc}".strip()))
            self.aborted = True
        else:
            return False
        return True


def _check_constraints() -> None:
    """The foreign keys are DEFERRABLE INITIALLY DEFERRED (Django's): checked now, not at commit, so that a
    row another writer removed meanwhile is reported (IntegrityError) rather than raised by the commit, and
    so that a dry run checks what a real run would (and costs what it would: ~2 s per 100,000 people rows of
    the commit's work)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def command_actor(command: str, username: str | None, scope: str | None) -> tuple[Any, str | None]:
    """Who an address-kind import (import_addresses, import_cameras) is done as, and the area it may write in:
    the command's name and --scope by default; with --user, that account (it needs the addresses permission),
    its area narrowing --scope, and the audit trail naming it. Raises CommandError naming the option."""
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError

    from geo.access import access_for_user

    actor: Any = command
    if username:
        user = get_user_model().objects.filter(username=username).first()
        access = access_for_user(user)
        if user is None or not access.can("addresses"):
            raise CommandError(f"--user {username}: no such active account with the addresses permission")
        actor = access
        if access.scope and scope and not scope.startswith(access.scope):
            raise CommandError(f"--scope {scope} is outside {username}'s area {access.scope}")
        scope = scope or access.scope
    if scope and not (scope.isascii() and scope.isdigit()):
        raise CommandError(f"--scope {scope!r} must be an area code (digits)")
    return actor, scope


def _progress(enabled: bool, path: Path):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc=f"{path.name}: rows read and checked", unit=" rows", file=sys.stderr, mininterval=0.5)


def copy_into_temp(table: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]], *,
                   replace: bool = False, filled: Sequence[tuple[str, str, str]] = (),
                   analyze: Sequence[str] | None = None) -> int:
    """Create a temporary table (dropped at commit) with (name, SQL type) columns, COPY the rows in and
    ANALYZE it. `replace`: drop the table of the same name first (a chunked run stages each chunk anew).
    `filled`: more columns (name, SQL type, DEFAULT expression, written in code) that the COPY leaves to
    their default, evaluated per row (e.g. the ids the rows will have, drawn from a sequence). `analyze`: the
    columns the queries on the table join or filter on, the only ones whose statistics are then computed
    (default: all; the row count is known either way).

    Must run inside a transaction (`run` calls `check` and `write` inside one). Values go through
    psycopg's COPY, so they are data, never SQL. Returns the number of rows copied.
    """
    count = 0
    with connection.cursor() as cursor:
        definition = pgsql.SQL(", ").join(
            [pgsql.SQL("{} {}").format(pgsql.Identifier(name), pgsql.SQL(kind)) for name, kind in columns]
            + [pgsql.SQL("{} {} DEFAULT {}").format(pgsql.Identifier(name), pgsql.SQL(kind), pgsql.SQL(default))
               for name, kind, default in filled])
        if replace:
            cursor.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier(table)).as_string(
                cursor.connection))
        cursor.execute(pgsql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(
            pgsql.Identifier(table), definition).as_string(cursor.connection))
        copy = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(pgsql.Identifier(n) for n, _ in columns))
        with cursor.cursor.copy(copy) as target:
            for row in rows:
                target.write_row(row)
                count += 1
        # A fresh table has no statistics: without them the planner takes 100,000 staged rows for a few
        # hundred and joins them to rooms, buildings or people by nested index probes.
        which = pgsql.SQL("")
        if analyze is not None:
            which = pgsql.SQL(" ({})").format(pgsql.SQL(", ").join(pgsql.Identifier(n) for n in analyze))
        cursor.execute(pgsql.SQL("ANALYZE {}{}").format(pgsql.Identifier(table), which).as_string(cursor.connection))
    return count

