"""The code rules for every level of the area tree (GB/T 2260 and the grid-code pattern).

Codes are fixed-width digit strings, and a child's code starts with its parent's: that is what lets
any area scope (a province, a city, a township, a village, a grid) be a simple prefix match on a code
column. A province (2 digits) and a city (4 digits) sit above the counties so that a city or province
center sees its counties side by side. A county whose province administers it directly has the
province's placeholder city "xx90" (GB/T 2260: 省直辖县级行政区划) as its parent: 济源 419001 sits under
4190 under 河南 41. The tree may still start at a county (one county alone, as before): a county's
parent is a city or nothing.

| level      | digits | suffix ranges                                                        |
|------------|--------|----------------------------------------------------------------------|
| province   | 2      | 11-82 (GB/T 2260: the first digit is the region, 1-8)                |
| city       | 4      | 01-70 a city (地级市, 地区, 自治州, 盟), 90 the province-administered  |
|            |        | placeholder; 71-89 are accepted as code lists have them              |
| county     | 6      | 01-99 within the city                                                |
| township   | 9      | 001-099 street, 100-199 town, 200-399 township, 400-599 park/farm    |
| village    | 12     | 001-199 community (社区/居委会), 200-399 village (村委会),               |
|            |        | 400-599 village-like (类似居委会/村委会: farms, parks, mines)            |
| grid       | 15     | 001-899, numbered west→east then north→south within the village      |
| dedicated  | 16     | "9" + 001-999 (格中格); 16 digits and the leading 9 keep them apart    |
|            |        | from basic grids, whose 3-digit sequence stops at 899                |
"""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.errors import InvalidCode


class Level(models.IntegerChoices):
    """The stored level numbers: the county stays 1 (every stored row and rollup since the first wave
    says so), the two levels above it come before it, so "a level above" is still "a smaller number"
    and a child's level is still its parent's + 1."""

    PROVINCE = -1, _("province")
    CITY = 0, _("city")
    COUNTY = 1, _("county")
    TOWNSHIP = 2, _("township/street")
    VILLAGE = 3, _("village/community")
    GRID = 4, _("basic grid")
    DEDICATED = 5, _("dedicated grid")


CODE_LENGTH = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12, Level.GRID: 15,
               Level.DEDICATED: 16}
PARENT_LEVEL = {Level.CITY: Level.PROVINCE, Level.COUNTY: Level.CITY, Level.TOWNSHIP: Level.COUNTY,
                Level.VILLAGE: Level.TOWNSHIP, Level.GRID: Level.VILLAGE,
                Level.DEDICATED: Level.VILLAGE}

# (first, last, kind) of the code's own suffix, per level.
# The city code of a county its province administers directly (GB/T 2260's xx90).
PROVINCE_ADMINISTERED = "90"

SUFFIX_RANGES = {
    Level.PROVINCE: [(11, 82, None)],
    Level.CITY: [(1, 89, "city"), (90, 90, "province_direct"), (91, 99, "city")],
    Level.COUNTY: [(1, 99, None)],
    Level.TOWNSHIP: [(1, 99, "street"), (100, 199, "town"), (200, 399, "township"), (400, 599, "special")],
    Level.VILLAGE: [(1, 199, "community"), (200, 399, "village"), (400, 599, "special")],
    Level.GRID: [(1, 899, None)],
    Level.DEDICATED: [(9001, 9999, None)],
}

KINDS = {
    Level.PROVINCE: {"province"},
    Level.CITY: {"city", "province_direct"},
    Level.COUNTY: {"county"},
    Level.TOWNSHIP: {"street", "town", "township", "special"},
    Level.VILLAGE: {"community", "village", "special"},
    Level.GRID: {"urban", "rural"},
    Level.DEDICATED: {"school", "hospital", "enterprise", "market", "park", "railway", "government",
                      "scenic", "construction", "other"},
}


# Any area code, as requests and the API description accept it: a province (2), a city (4), a county (6),
# township (9), village (12), basic grid (15) or dedicated grid (16 digits). ASCII digits only.
AREA_CODE_PATTERN = r"^(?:[0-9]{2}|[0-9]{4}|[0-9]{6}(?:[0-9]{3}){0,3}[0-9]?)$"
AREA_CODE_RE = re.compile(AREA_CODE_PATTERN, re.ASCII)
AREA_CODE_LENGTHS = (2, 4, 6, 9, 12, 15, 16)
AREA_CODE_HELP = "2, 4, 6, 9, 12, 15 or 16 digits"


def is_area_code(code) -> bool:
    return isinstance(code, str) and AREA_CODE_RE.match(code) is not None


def level_of_code(code: str) -> Level:
    """The level a code's length says it is at (2, 4, 6, 9, 12, 15 or 16 digits)."""
    check_digits(code)
    for level, length in CODE_LENGTH.items():
        if len(code) == length:
            return Level(level)
    raise InvalidCode(f"code {code!r} has {len(code)} digits; area codes have 2, 4, 6, 9, 12, 15 or 16",
                      field="code")


def check_digits(code: str, field: str = "code") -> None:
    if not isinstance(code, str) or not code.isascii() or not code.isdigit():
        raise InvalidCode(f"{field} {code!r} must be a string of digits (kept as text, never a number)", field=field)


def validate_code(code: str, level: int, parent_code: str | None, parent_level: int | None) -> None:
    """Check a code's length, digits and suffix range, and that it agrees with its parent's code."""
    level = Level(level)
    check_digits(code)
    expected = CODE_LENGTH[level]
    if len(code) != expected:
        raise InvalidCode(
            f"a {level.label} code has {expected} digits; {code!r} has {len(code)}", field="code"
        )
    if level == Level.PROVINCE:
        if parent_code is not None:
            raise InvalidCode("a province is the root of the tree and has no parent", field="parent")
        _check_suffix(code, "", level)
        return
    if level == Level.COUNTY and parent_code is None:
        return  # a county alone: the root of its own tree (one county per database, as before)
    if parent_code is None:
        raise InvalidCode(f"a {level.label} needs a parent {Level(PARENT_LEVEL[level]).label}", field="parent")
    wanted_parent = PARENT_LEVEL[level]
    if parent_level != wanted_parent:
        raise InvalidCode(
            f"the parent of a {level.label} must be a {Level(wanted_parent).label}, "
            f"but {parent_code} is a {Level(parent_level).label if parent_level else 'unknown level'}",
            field="parent",
        )
    if not code.startswith(parent_code):
        raise InvalidCode(
            f"code {code} does not start with its parent's code {parent_code}", field="code"
        )
    _check_suffix(code, parent_code, level)


def _check_suffix(code: str, parent_code: str, level: Level) -> None:
    expected = CODE_LENGTH[level]
    suffix = int(code[len(parent_code):])
    ranges = SUFFIX_RANGES[level]
    if not any(lo <= suffix <= hi for lo, hi, _ in ranges):
        allowed = ", ".join(f"{lo:0{expected - len(parent_code)}d}-{hi}" for lo, hi, _ in ranges)
        raise InvalidCode(
            f"code {code}: suffix {code[len(parent_code):]} is outside the {level.label} ranges ({allowed})",
            field="code",
        )


def default_kind(code: str, level: int) -> str | None:
    """The kind a code's suffix implies (street/town/... for townships, community/village for villages)."""
    level = Level(level)
    if level in (Level.PROVINCE, Level.COUNTY):
        return level.name.lower()
    if level == Level.CITY:
        return "province_direct" if code[2:] == PROVINCE_ADMINISTERED else "city"
    if level in (Level.TOWNSHIP, Level.VILLAGE):
        suffix = int(code[-3:])
        for lo, hi, kind in SUFFIX_RANGES[level]:
            if lo <= suffix <= hi:
                return kind
    return None


def validate_kind(kind: str, level: int, code: str) -> None:
    level = Level(level)
    if kind not in KINDS[level]:
        raise InvalidCode(
            f"kind {kind!r} is not a {level.label} kind; use one of {', '.join(sorted(KINDS[level]))}",
            field="kind",
        )
    implied = default_kind(code, level)
    if implied and implied != kind:
        raise InvalidCode(
            f"code {code} is in the {implied} range, but kind is {kind!r}", field="kind"
        )
