"""Next-number allocation for new buildings (inside a village/community) and rooms (inside a building's
unit and floor): numbers are given in time order and never given twice.

An upsert on the prefix's counter row (addresses/models.py) raises the counter to at least the highest
code that exists, then an update takes the next numbers. The upsert locks the counter row until the
caller's transaction ends, so concurrent allocations under one prefix queue on that row and each gets
its own numbers (a second caller blocked on the first sees its committed counter when it resumes: ON
CONFLICT DO UPDATE reads the latest row version); callers under different prefixes do not wait for
each other. If the caller's transaction rolls back, its
numbers were never used and the next caller gets them: "never reused" is about numbers that were
committed, which the counter and the delete triggers keep.

Call these inside the transaction that writes the address, so the number and the address commit
together.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from geo.errors import InvalidCode
from grids.codes import check_digits


@dataclass(frozen=True)
class Kind:
    """One kind of address: its table, prefix length and the width of its number."""

    table: str
    prefix_length: int
    width: int

    @property
    def code_length(self) -> int:
        return self.prefix_length + self.width

    @property
    def largest(self) -> int:
        return 10 ** self.width - 1


BUILDING = Kind("layers_building", 12, 5)
ROOM = Kind("layers_room", 22, 3)

# Two statements, in the caller's transaction. The first makes sure each prefix has a counter row at
# least as high as the highest code that exists under it, and locks those rows in prefix order (so two
# imports that share prefixes cannot deadlock); the second takes the numbers. The highest existing code
# is found by a range on the unique index (all codes under a prefix have one length, so the digit
# strings order as numbers): one index probe per prefix, not a scan.
RAISE_TO_EXISTING_SQL = """
INSERT INTO addresses_addresscounter AS c (prefix, last)
SELECT need.prefix, COALESCE((SELECT substr(max(t.address_code), %(start)s)::int FROM {table} t
                              WHERE t.address_code >= need.prefix || %(low)s
                                AND t.address_code <= need.prefix || %(high)s), 0)
FROM unnest(%(prefixes)s::text[]) AS need(prefix)
ORDER BY need.prefix
ON CONFLICT (prefix) DO UPDATE SET last = GREATEST(c.last, EXCLUDED.last)
"""

TAKE_SQL = """
UPDATE addresses_addresscounter c SET last = c.last + need.n
FROM unnest(%(prefixes)s::text[], %(counts)s::int[]) AS need(prefix, n)
WHERE c.prefix = need.prefix
RETURNING c.prefix, c.last - need.n + 1
"""

RAISE_SQL = """
INSERT INTO addresses_addresscounter AS c (prefix, last)
SELECT * FROM unnest(%(prefixes)s::text[], %(tops)s::int[]) ORDER BY 1
ON CONFLICT (prefix) DO UPDATE SET last = GREATEST(c.last, EXCLUDED.last)
"""


def allocate(kind: Kind, prefix: str, count: int = 1) -> list[int]:
    """`count` new numbers under `prefix`, ascending, each above every number ever used there.

    Raises InvalidCode (field "code") when the prefix has no numbers left.
    """
    if count < 1:
        return []
    first = allocate_many(kind, {prefix: count})[prefix]
    return list(range(first, first + count))


def allocate_many(kind: Kind, counts: dict[str, int]) -> dict[str, int]:
    """For each prefix, the first of `counts[prefix]` consecutive new numbers (two statements for any
    number of prefixes: an import allocating on thousands of floors at once)."""
    for prefix in counts:
        check_digits(prefix, "prefix")
        if len(prefix) != kind.prefix_length:
            raise InvalidCode(f"an address prefix here has {kind.prefix_length} digits; {prefix!r} has "
                              f"{len(prefix)}", field="prefix")
    counts = {prefix: n for prefix, n in counts.items() if n > 0}
    if not counts:
        return {}
    prefixes = sorted(counts)
    with connection.cursor() as cursor:
        cursor.execute(RAISE_TO_EXISTING_SQL.format(table=kind.table),
                       {"prefixes": prefixes, "start": kind.prefix_length + 1, "low": "0" * kind.width,
                        "high": "9" * kind.width})
        cursor.execute(TAKE_SQL, {"prefixes": prefixes, "counts": [counts[p] for p in prefixes]})
        firsts = dict(cursor.fetchall())
    for prefix, first in firsts.items():
        top = first + counts[prefix] - 1
        if top > kind.largest:
            raise InvalidCode(f"{prefix} has no numbers left: {counts[prefix]} more would end at {top}, and the "
                              f"code has {kind.width} digits (up to {kind.largest})", field="code")
    return firsts


def code(kind: Kind, prefix: str, number: int) -> str:
    return f"{prefix}{number:0{kind.width}d}"


def next_building_code(village: str) -> str:
    """The next building code in a village/community: village + 5 digits."""
    return code(BUILDING, village, allocate(BUILDING, village)[0])


def next_room_number(building_code: str, unit: int, floor: int) -> int:
    """The next room number (1-999) on a floor of a building's unit."""
    return allocate(ROOM, room_prefix(building_code, unit, floor))[0]


def room_prefix(building_code: str, unit: int, floor: int) -> str:
    return f"{building_code}{unit:02d}{floor:03d}"


def mark_used(kind: Kind, codes: list[str]) -> None:
    """Count the numbers of codes written as given (an imported register's) as used, in one statement."""
    tops: dict[str, int] = {}
    for value in codes:
        prefix, number = value[:kind.prefix_length], int(value[kind.prefix_length:])
        if number > tops.get(prefix, 0):
            tops[prefix] = number
    if tops:
        with connection.cursor() as cursor:
            cursor.execute(RAISE_SQL, {"prefixes": list(tops), "tops": list(tops.values())})
