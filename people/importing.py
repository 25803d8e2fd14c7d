"""import_people and import_enterprises: a district's registers (CSV or Excel) on grids/imports.py.

Per row, in Python (no database): the identity number's form, birth date and check digit (GB 11643),
the credit code's characters and check character (GB 32100), dates, tenure and lengths; a repeated
identity number or credit code inside the file names the first line that had it. Then, set-based over
all good rows staged in a temporary table (one query each, not one per row): the room or building
address exists and lies in the caller's scope, and the identity number (by its keyed hash) or credit
code is not registered already. Every bad row is reported with its line number and field; if there is
one, nothing is written. Otherwise all rows are written in one transaction, identity numbers hashed
in Python (people/identity.py). A people import encrypts them (pgcrypto, people_encrypt_id) on a second,
read-only connection while the rows are read (`encrypted`), so that its staging table holds only the
ciphertexts, and leaves the already-registered check to the people INSERT's unique identity hash while it
writes (the look-up runs on its own only for the rows of a run that failed already: `registered`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction

from geo.access import Access, audit
from geo.errors import InvalidInput
from geo.models import AuditRecord
from grids import imports
from grids.imports import Column, Good, Invalid, RowError, RowErrors
from people import identity, services
from people.models import Enterprise

PEOPLE_COLUMNS = [
    Column("name", ("姓名", "名字", "full name")),
    Column("id_number", ("身份证号", "身份证号码", "公民身份号码", "证件号码", "identity number", "id"),
           text_only=True),
    Column("room", ("户室编码", "房屋编码", "户室地址编码", "地址编码", "住址编码", "room code", "address code"),
           text_only=True),
    Column("tenure", ("居住类型", "居住方式", "产权类型", "自住/租住"), required=False),
    Column("moved_in", ("入住日期", "迁入日期", "居住起始日期", "moved in since"), required=False),
    Column("phone", ("联系电话", "电话", "手机号", "手机", "phone number"), required=False, text_only=True),
    Column("household", ("户号", "户编号", "household number"), required=False, text_only=True),
]

ENTERPRISE_COLUMNS = [
    Column("credit_code", ("统一社会信用代码", "信用代码", "社会信用代码", "unified social credit code", "uscc"),
           text_only=True),
    Column("name", ("名称", "企业名称", "单位名称", "组织名称", "enterprise name")),
    Column("building", ("楼栋编码", "楼栋地址编码", "地址编码", "统一地址编码", "building code", "address code"),
           text_only=True),
    Column("kind", ("类型", "主体类型", "单位类型", "type"), required=False),
    Column("industry", ("行业", "所属行业", "行业类别"), required=False),
    Column("employees", ("从业人数", "员工人数", "职工人数", "employee count"), required=False),
    Column("legal_representative", ("法定代表人", "负责人", "法人", "legal representative"), required=False),
    Column("phone", ("联系电话", "电话", "phone number"), required=False, text_only=True),
]

TENURE = {"owner": "owner", "自住": "owner", "自有": "owner", "产权": "owner", "业主": "owner",
          "tenant": "tenant", "租住": "tenant", "租赁": "tenant", "出租": "tenant", "租户": "tenant",
          "other": "other", "其他": "other", "借住": "other"}
KIND = {"company": "company", "企业": "company", "公司": "company", "individual": "individual",
        "个体": "individual", "个体工商户": "individual", "social": "social", "社会组织": "social",
        "public": "public", "事业单位": "public", "机关": "public", "other": "other", "其他": "other"}
LIMITS = {"name": 50, "phone": 20, "household": 32, "industry": 60, "legal_representative": 50}


@dataclass(slots=True)
class PersonRow:
    """A person's cleaned row. Mutable: `encrypted` replaces the clear number by its ciphertext in place (a
    new row per person cost ~1 s of Python per 100,000 rows, most of it the garbage collector's passes)."""

    name: str
    id_clear: str | None  # the clear number until `encrypted` replaces it by its ciphertext (id_cipher)
    id_hash: str
    gender: str
    birth_date: dt.date
    room: str
    tenure: str
    moved_in: dt.date
    phone: str
    household: str
    id_cipher: bytes | None = None


class EnterpriseRow(NamedTuple):
    credit_code: str
    name: str
    building: str
    kind: str
    industry: str
    employees: int
    legal_representative: str
    phone: str


def _date(value: str | None, name: str, default: dt.date) -> dt.date:
    if not value:
        return default
    text = value.strip().replace("/", "-").replace(".", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise Invalid(name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if day > default or day.year < 1900:
        raise Invalid(name, f"{day} is out of range")
    return day


def _text(row: dict[str, str | None], name: str, limit: int, problems: list[tuple[str, str]]) -> str:
    value = row.get(name) or ""
    if len(value) > limit:
        problems.append((name, f"is longer than {limit} characters"))
    return value


def people_cleaner(today: dt.date):
    """clean(row) for people rows: the hash key read once for the whole file."""
    hashed = identity.hasher()

    def clean(row: dict[str, str | None]) -> PersonRow:
        problems: list[tuple[str, str]] = []
        number = None
        try:
            number = identity.normalize_id(row["id_number"])
        except InvalidInput as exc:
            problems.append(("id_number", exc.message.removeprefix("id_number: ")))
        room = row["room"] or ""
        if not (room.isascii() and room.isdigit() and len(room) == 25):
            problems.append(("room", f"{room!r} is not a room address code (25 digits, kept as text)"))
        tenure = TENURE.get((row.get("tenure") or "owner").strip().lower())
        if tenure is None:
            problems.append(("tenure", f"{row['tenure']!r}: one of 自住/owner, 租住/tenant, 其他/other"))
        name = _text(row, "name", LIMITS["name"], problems)
        phone = _text(row, "phone", LIMITS["phone"], problems)
        household = _text(row, "household", LIMITS["household"], problems)
        try:
            moved_in = _date(row.get("moved_in"), "moved_in", today)
        except Invalid as exc:
            problems.extend(exc.pairs)
            moved_in = today
        if problems:
            raise Invalid(problems)
        return PersonRow(name, number, hashed(number), identity.gender(number), identity.birth_date(number), room,
                         tenure, moved_in, phone, household)

    return clean


def clean_enterprise(row: dict[str, str | None]) -> EnterpriseRow:
    problems: list[tuple[str, str]] = []
    code = None
    try:
        code = identity.normalize_credit_code(row["credit_code"])
    except InvalidInput as exc:
        problems.append(("credit_code", exc.message.removeprefix("credit_code: ")))
    building = row["building"] or ""
    if not (building.isascii() and building.isdigit() and len(building) == 17):
        problems.append(("building", f"{building!r} is not a building address code (17 digits, kept as text)"))
    kind = KIND.get((row.get("kind") or "company").strip().lower())
    if kind is None:
        problems.append(("kind", f"{row['kind']!r}: one of {', '.join(Enterprise.Kind.values)} (or 企业, 个体工商户, "
                                 "社会组织, 事业单位, 其他)"))
    employees = 0
    if row.get("employees"):
        text = row["employees"].strip().removesuffix(".0")
        if not (text.isascii() and text.isdigit()) or int(text) > 10_000_000:
            problems.append(("employees", f"{row['employees']!r} is not a whole number of people"))
        else:
            employees = int(text)
    name = row["name"] or ""
    if len(name) > 200:
        problems.append(("name", "is longer than 200 characters"))
    industry = _text(row, "industry", LIMITS["industry"], problems)
    legal = _text(row, "legal_representative", LIMITS["legal_representative"], problems)
    phone = _text(row, "phone", LIMITS["phone"], problems)
    if problems:
        raise Invalid(problems)
    return EnterpriseRow(code, name, building, kind, industry, employees, legal, phone)


def _scope_sql(column: str, scope: str | None) -> tuple[str, list]:
    return (f" OR NOT coalesce({column} LIKE %s, false)", [scope + "%"]) if scope else ("", [])


def _unknown(table: str, key: str, scope: str | None) -> list[RowError]:
    """Rows of the staging table whose address (`key`: room or building) is unknown or outside the scope
    (one query)."""
    outside, params = _scope_sql("b.grid_code", scope)
    join = ("LEFT JOIN layers_room r ON r.address_code = s.room LEFT JOIN layers_building b ON b.id = r.building_id"
            if key == "room" else "LEFT JOIN layers_building b ON b.address_code = s.building")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s.line, s.{key}, b.id IS NULL FROM {table} s {join} "  # noqa: S608 - names from code
                       f"WHERE b.id IS NULL{outside} ORDER BY s.line", params)
        return [RowError(line, key, f"no {key} with address code {code}" if missing
                         else f"{key} {code} is outside your area")
                for line, code, missing in cursor.fetchall()]


def _stage_and_check(table: str, columns: list[tuple[str, str]], rows: list[Good], *, address: str,
                     scope: str | None, registered: str, field: str, message: str) -> list[RowError]:
    """The set-based half of an enterprise import's checks (run_people's check also places its rows, so it
    has its own, with the same room check and messages): COPY every good row
    (line first, then the row's fields as `columns` name them) into a temporary table, then one query for
    the rows whose `address` (room or building) is unknown or outside the scope, and one (`registered`,
    returning line and a detail) for the rows already registered, reported on `field` as
    `message.format(detail)`. The table stays for the writer, which reads it instead of copying the rows
    a second time, and drops it (it is dropped at the transaction's end anyway, a failed run's too)."""
    imports.copy_into_temp(table, [("line", "int"), *columns], ((g.line, *g.value) for g in rows), replace=True)
    errors = _unknown(table, address, scope)
    with connection.cursor() as cursor:
        cursor.execute(registered.format(table=table))
        errors += [RowError(line, field, message.format(detail)) for line, detail in cursor.fetchall()]
    return errors


# The staged people: the identity number as its ciphertext only (`encrypted`), never in clear.
PEOPLE_STAGE = [("name", "text"), ("id_cipher", "bytea"), ("id_hash", "text"), ("gender", "text"),
                ("birth_date", "date"), ("room", "text"), ("tenure", "text"), ("moved_in", "date"),
                ("phone", "text"), ("household", "text")]
ENTERPRISE_STAGE = [("credit_code", "text"), ("name", "text"), ("building", "text"), ("kind", "text"),
                    ("industry", "text"), ("employees", "int"), ("legal_representative", "text"), ("phone", "text")]

# The staged columns the checks and writes join or filter on: the only ones ANALYZE computes statistics of
# (all eleven cost ~0.2 s per 100,000 rows; the estimates that matter are the row count and these).
PEOPLE_ANALYZE = ["room", "household"]


# Rows per chunk of a people import: a thread cleans (and has encrypted) the next chunk while PostgreSQL checks
# and writes this one (grids/imports.run). Smaller chunks hide more of the first chunk's cleaning
# but cost a staging table, an ANALYZE, four planned statements and a read of the rooms (the room check's
# hash join) each: on full-scale 旌阳, 20,000 used ~0.5 s less of the backend's CPU per 100,000 rows than
# 10,000, for ~0.25 s more before the database starts.
PEOPLE_CHUNK = 20_000


def run_people(path: Path, *, access: Access | None = None, actor: Any = "import_people", dry_run: bool = False,
               encoding: str | None = None, sheet: str | None = None, progress: bool = False,
               chunk: int = PEOPLE_CHUNK) -> imports.Report:
    """Import people (see the module doc); the report lists every bad row.

    In chunks (`chunk` rows), one transaction: each chunk is staged, checked, and its people written (the
    identity numbers encrypted) while the next is read; the residences of them all follow in one statement
    at the end, so the rollup's trigger adds its difference once, not once per chunk.

    Each staged row draws its person's id from the people's own sequence as it is copied (a default of the
    staging table), so the people INSERT names the ids itself and the residences need no join back to the
    rows just written (by a RETURNING list hashed on the identity hash: ~0.5 s per 100,000 rows). The room
    check and the residences' room ids are one statement: the rows whose room exists (inside the scope) go
    to `people_import_done` with its id; only when some did not is the room check run to say which and why.
    The identity numbers arrive encrypted (`encrypted`, in the thread that reads the file), and the people
    INSERT is the already-registered check (its unique index refuses the row: the chunk's INSERT is undone
    to a savepoint and `registered` names every such row, so a dry run still lists them all)."""
    scope = access.scope if access is not None else None
    today = dt.date.today()
    stage, done = "people_import_stage", "people_import_done"
    sequence: list[str] = []

    def check(rows: list[Good]) -> list[RowError]:
        with connection.cursor() as cursor:
            if not sequence:
                cursor.execute("SELECT pg_get_serial_sequence('people_person', 'id')")
                sequence.append(cursor.fetchone()[0])
                cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {done} (line int, person_id bigint, "
                               "room_id bigint, tenure text, moved_in date) ON COMMIT DROP")
        imports.copy_into_temp(stage, [("line", "int"), *PEOPLE_STAGE], (_staged(g) for g in rows),
                               replace=True, filled=[("person_id", "bigint",
                                                      f"nextval({_literal(sequence[0])}::regclass)")],
                               analyze=PEOPLE_ANALYZE)
        outside, params = _scope_sql("b.grid_code", scope)
        # The building is read only for the scope: a room's building_id is a NOT NULL foreign key (without a
        # scope, joining the county's buildings per chunk would only confirm it).
        building = "JOIN layers_building b ON b.id = r.building_id" if scope else ""
        with connection.cursor() as cursor:
            cursor.execute(f"""
                INSERT INTO {done} (line, person_id, room_id, tenure, moved_in)
                SELECT s.line, s.person_id, r.id, s.tenure, s.moved_in
                FROM {stage} s JOIN layers_room r ON r.address_code = s.room {building}
                WHERE NOT (false{outside})""", params)
            placed = cursor.rowcount
        return _unknown(stage, "room", scope) if placed < len(rows) else []

    def registered(rows: list[Good]) -> list[RowError]:
        """The staged rows whose identity number is registered already: run by itself only for the chunks
        not written (a run that failed already), since the people INSERT finds them in writing (`write`)."""
        with connection.cursor() as cursor:
            # One probe of the identity hash's index per staged row, not a hash join: the planner's hash join
            # read the whole people table (~190 MB on full-scale 旌阳) once per chunk, ten times an import.
            cursor.execute(f"SELECT s.line, p.id FROM {stage} s CROSS JOIN LATERAL (SELECT x.id FROM people_person x "
                           "WHERE x.id_hash = s.id_hash AND x.id <> s.person_id LIMIT 1) p ORDER BY s.line")
            return [RowError(line, "id_number", f"this identity number is already registered (person #{pk})")
                    for line, pk in cursor.fetchall()]

    def write(rows: list[Good]) -> int:
        with connection.cursor() as cursor:
            if any(g.value.household for g in rows):
                # Households named in the file: an existing one by its number (an earlier chunk's too), else a
                # new one in the room of the first line that names it.
                cursor.execute(f"""
                    INSERT INTO people_household (number, room_id, demo)
                    SELECT DISTINCT ON (s.household) s.household, r.id, false
                    FROM {stage} s JOIN layers_room r ON r.address_code = s.room
                    WHERE s.household <> ''
                      AND NOT EXISTS (SELECT 1 FROM people_household h WHERE h.number = s.household)
                    ORDER BY s.household, s.line""")
            # The chunk's people, under the ids their staged rows drew (the residences in `done` name them).
            # The identity hash's unique index is the already-registered check: the INSERT probes it for every
            # row anyway, so a separate look-up per row (~0.4 s per 100,000) would only repeat it. A refused
            # row undoes the chunk's INSERT (a savepoint) and `registered` then names every such row.
            try:
                with transaction.atomic():
                    cursor.execute(f"""
                        INSERT INTO people_person (id, name, id_hash, id_cipher, gender, birth_date, phone,
                                                   household_id, demo, created_at)
                        SELECT s.person_id, s.name, s.id_hash, s.id_cipher,
                               s.gender, s.birth_date, s.phone, h.id, false, now()
                        FROM {stage} s
                        LEFT JOIN (SELECT DISTINCT ON (number) number, id FROM people_household
                                   WHERE number IN (SELECT household FROM {stage} WHERE household <> '')
                                   ORDER BY number, id) h ON h.number = s.household AND s.household <> ''
                        ORDER BY s.line""")
                    written = cursor.rowcount
            except IntegrityError as exc:
                if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != ID_HASH_UNIQUE:
                    raise
                errors = registered(rows)
                if not errors:  # registered by another writer and gone again since: say what was refused
                    raise
                raise RowErrors(errors) from exc
            cursor.execute(f"DROP TABLE {stage}")
        return written

    def finish() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO people_residence (person_id, room_id, tenure, moved_in) "
                           f"SELECT person_id, room_id, tenure, moved_in FROM {done} ORDER BY line")
            written = cursor.rowcount  # one residence per person written
            cursor.execute(f"DROP TABLE {done}")
        audit(actor, AuditRecord.Action.PEOPLE_CHANGE, target=path.name[:200],
              detail={"import": "people", "dry_run": dry_run, "rows": written}, rows=written)

    return imports.run(path, PEOPLE_COLUMNS, people_cleaner(today), write, dry_run=dry_run, encoding=encoding,
                       sheet=sheet, unique={"id_number": lambda v: v.id_hash}, check=check, progress=progress,
                       chunk=chunk, finish=finish, check_unwritten=registered, prepare=encrypted)


# The unique constraint on people_person.id_hash (Django's name for unique=True): a row it refuses is a person
# registered already.
ID_HASH_UNIQUE = "people_person_id_hash_key"


def _staged(good: Good) -> tuple:
    """A person's row as staged: its line, then PEOPLE_STAGE's columns (the ciphertext, not the clear number)."""
    v = good.value
    return (good.line, v.name, v.id_cipher, v.id_hash, v.gender, v.birth_date, v.room, v.tenure, v.moved_in, v.phone,
            v.household)


@contextlib.contextmanager
def encrypted() -> Iterator[Callable[[list[Good]], list[Good]]]:
    """The rows with their identity numbers encrypted (and the clear values dropped), by a second connection
    that the thread cleaning the rows opens, uses and closes (grids/imports.run's `prepare`). Encryption is
    the costliest part of a person's INSERT (pgcrypto's `pgp_sym_encrypt`, ~9 µs of CPU per value: ~0.9 s of
    the ~7 s the import's backend works per 100,000 rows), and it needs nothing the import writes: on this
    connection it runs on the second core beside the backend that checks and writes the chunk before, as
    the demo loader's does (fixtures/load.py `Beside`). The same function as every writer
    (people_encrypt_id, people/identity.py); the clear values travel as a bound parameter and are not kept
    in any table, neither here nor in the import's staging table, which stages only the ciphertexts.
    The connection is read-only: it computes, never stores."""
    second = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with second.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")

            def encrypt(rows: list[Good]) -> list[Good]:
                ciphers = services.encrypt([g.value.id_clear for g in rows], cursor)
                for g, c in zip(rows, ciphers, strict=True):
                    g.value.id_cipher, g.value.id_clear = c, None
                return rows

            yield encrypt
    finally:
        second.close()


def _literal(text: str) -> str:
    """A text as an SQL literal (a sequence's name the catalog gave, written into a DEFAULT)."""
    return "'" + text.replace("'", "''") + "'"


def run_enterprises(path: Path, *, access: Access | None = None, actor: Any = "import_enterprises",
                    dry_run: bool = False, encoding: str | None = None, sheet: str | None = None,
                    progress: bool = False) -> imports.Report:
    """Import enterprises and organisations (see the module doc)."""
    scope = access.scope if access is not None else None
    stage = "people_enterprise_stage"

    def check(rows: list[Good]) -> list[RowError]:
        return _stage_and_check(
            stage, ENTERPRISE_STAGE, rows, address="building", scope=scope, field="credit_code",
            registered="SELECT s.line, s.credit_code FROM {table} s "
                       "JOIN people_enterprise e ON e.credit_code = s.credit_code ORDER BY s.line",
            message="{} is already registered")

    def write(rows: list[Good]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"""
                INSERT INTO people_enterprise (credit_code, name, kind, industry, building_id, employees,
                                               legal_representative, phone, demo)
                SELECT s.credit_code, s.name, s.kind, s.industry, b.id, s.employees, s.legal_representative, s.phone,
                       false
                FROM {stage} s JOIN layers_building b ON b.address_code = s.building
                ORDER BY s.line""")
            written = cursor.rowcount
            cursor.execute(f"DROP TABLE {stage}")
        audit(actor, AuditRecord.Action.PEOPLE_CHANGE, target=path.name[:200],
              detail={"import": "enterprises", "dry_run": dry_run, "rows": written}, rows=written)
        return written

    return imports.run(path, ENTERPRISE_COLUMNS, clean_enterprise, write, dry_run=dry_run, encoding=encoding,
                       sheet=sheet, unique={"credit_code": lambda v: v.credit_code}, check=check, progress=progress)
