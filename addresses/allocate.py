"""Next-number allocation for new buildings (inside a village/community) and rooms (inside a building's
unit and floor): numbers are given in time order and never given twice.

One statement does it: an upsert on the prefix's counter row (addresses/models.py) that raises the
counter past both what it already says and the highest code that exists, and returns the new top.
The upsert locks the counter row until the caller's transaction ends, so concurrent allocations under
one prefix queue on that row and each gets its own numbers (a second caller blocked on the first sees
its committed counter when it resumes: ON CONFLICT DO UPDATE reads the latest row version); callers
under different prefixes do not wait for each other. If the caller's transaction rolls back, its
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

# The highest existing code under the prefix is read through the unique index's varchar_pattern_ops
# twin (a prefix LIKE is a range scan, backwards for max), so this stays O(log n) per call.
ALLOCATE_SQL = """
INSERT INTO addresses_addresscounter AS c (prefix, last)
SELECT %(prefix)s, COALESCE((SELECT substr(max(address_code), %(start)s)::int FROM {table}
                             WHERE address_code LIKE %(like)s AND length(address_code) = %(length)s), 0) + %(n)s
ON CONFLICT (prefix) DO UPDATE
SET last = GREATEST(c.last + %(n)s, EXCLUDED.last)
RETURNING last
"""

RAISE_SQL = """
INSERT INTO addresses_addresscounter AS c (prefix, last)
SELECT * FROM unnest(%(prefixes)s::text[], %(tops)s::int[])
ON CONFLICT (prefix) DO UPDATE SET last = GREATEST(c.last, EXCLUDED.last)
"""


def allocate(kind: Kind, prefix: str, count: int = 1) -> list[int]:
    """`count` new numbers under `prefix`, ascending, each above every number ever used there.

    Raises InvalidCode (field "code") when the prefix has no numbers left.
    """
    check_digits(prefix, "prefix")
    if len(prefix) != kind.prefix_length:
        raise InvalidCode(f"an address prefix here has {kind.prefix_length} digits; {prefix!r} has {len(prefix)}",
                          field="prefix")
    if count < 1:
        return []
    with connection.cursor() as cursor:
        cursor.execute(ALLOCATE_SQL.format(table=kind.table),
                       {"prefix": prefix, "start": kind.prefix_length + 1, "like": prefix + "%",
                        "length": kind.code_length, "n": count})
        top = cursor.fetchone()[0]
    if top > kind.largest:
        raise InvalidCode(f"{prefix} has no numbers left: {count} more would end at {top}, and the code has "
                          f"{kind.width} digits (up to {kind.largest})", field="code")
    return list(range(top - count + 1, top + 1))


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
