"""The area scope as SQL on the incidents: the one place a grid-code prefix becomes a condition.

A scope is a code prefix (419001103: a township and everything under it; 41: a province). Every reader
of the incidents and their events narrows to one with `grid_code LIKE '<prefix>%'`. Those two tables are
LIST-partitioned by county (`county_code`, the first six digits of the grid code, '' outside every grid;
layers migration 0021, docs/scale.md), and PostgreSQL prunes partitions only by conditions on the
partition key: with the prefix alone it plans and scans every county's partition (each index probed
once per county), so a county's figures cost more with every county loaded beside it. The condition
built here adds the county the prefix implies, on the key:

    6 digits or more (a county or below)   county_code = '419001'          one partition
    2 or 4 digits (a province, a city)     county_code IN ('411502', '419001')
                                                                           its counties'
      … while one of its counties has no partition of its own yet
                                           county_code BETWEEN '410000' AND '419999'
                                                                           its counties' and the default
    none                                   nothing                         every partition

A city's or a province's counties are named one by one (`county_codes`, read from the areas and the catalog
at each call, never kept) so that its reads leave the default partition out: attaching a county's partition
(`load_demo` loading a county beside the others, layers/partitions.py after a county's creation) locks the
default partition until that transaction ends, and a read that plans over it would wait for the rest of
that county's load. A county being loaded is not yet visible to the read, nor is its partition; a county
whose partitions were not made (layers/partitions.py logs it) has its incidents in the default partition,
and then the range, which reads it, is used.

Equality and ranges prune LIST partitions; LIKE on the key does not (PostgreSQL has no prefix rule for
partition bounds). The county's digits are written into the statement as a literal, so the planner prunes
when it plans, whatever the driver does with parameters (a prepared statement's generic plan included);
they come from an area code, and anything but digits is refused here, so the text stays a constant of
code. tests/layers/test_scope.py shows with EXPLAIN that a county's stats and tile queries read only that
county's partitions.

The areas' rollups (layers_incidentrollup, layers_openincident) and the desk's tables are not partitioned
and take the grid-code prefix alone.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]*")
COUNTY = re.compile(r"[0-9]{6}")
COUNTY_LENGTH = 6


def county_bounds(prefix: str | None) -> tuple[str, str] | None:
    """The county codes a grid-code prefix can hold, as (lowest, highest); None: no narrowing."""
    if not prefix:
        return None
    if not _DIGITS.fullmatch(prefix):
        raise ValueError(f"an area-code prefix has digits only, not {prefix!r}")
    county = prefix[:COUNTY_LENGTH]
    return county.ljust(COUNTY_LENGTH, "0"), county.ljust(COUNTY_LENGTH, "9")


def county_codes(prefix: str) -> list[str] | None:
    """The counties under a city's or a province's prefix when every one of them has its own incident and
    event partitions (their codes, in order); None when one has not (its incidents are then in the default
    partition) or none is there. Read at each call from the areas and the catalog, on the connection the
    read itself goes through (a standby answers with what it has replayed)."""
    from geo import sql

    found = sql.rows("""
        SELECT a.code, bool_and(coalesce(
                   to_regclass(format('%%I', layers_incident_partition_name(t.base, a.code)))
                   IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = t.base::regclass), false)) AS own
        FROM (SELECT DISTINCT code FROM grids_area WHERE level = 1 AND code LIKE %(prefix)s) a
        CROSS JOIN (VALUES ('layers_incident'), ('layers_incidentevent')) AS t(base)
        GROUP BY a.code ORDER BY a.code""", {"prefix": prefix + "%"})
    if not found or not all(row["own"] and COUNTY.fullmatch(row["code"]) for row in found):
        return None
    return [row["code"] for row in found]


def county_sql(column: str, prefix: str | None) -> str:
    """The partition key's condition a prefix implies, as " AND …" (empty without a prefix). `column` is
    the county_code column (alias.county_code), named by code."""
    bounds = county_bounds(prefix)
    if bounds is None:
        return ""
    low, high = bounds
    if low == high:
        return f" AND {column} = '{low}'"
    codes = county_codes(prefix)
    if codes:
        return counties_sql(column, codes)
    return f" AND {column} BETWEEN '{low}' AND '{high}'"


def counties_sql(column: str, counties) -> str:
    """A list of county codes as " AND column IN (…)" on the partition key, written out so the planner plans
    only their partitions (" AND false" for none: nothing to read). For a reader that knows which counties
    its areas lie in though its scope names none: a province-zoom tile over a few of a province's counties
    (tiles/registry.py). `counties` are six-digit codes; anything else is refused, so the text stays a
    constant of code."""
    codes = sorted(set(counties))
    for code in codes:
        if len(code) != COUNTY_LENGTH or not _DIGITS.fullmatch(code):
            raise ValueError(f"a county code has six digits, not {code!r}")
    if not codes:
        return " AND false"
    quoted = ", ".join(f"'{code}'" for code in codes)
    return f" AND {column} IN ({quoted})"


def incident_scope(alias: str, param: str, prefix: str | None) -> str:
    """The scope on a row of the incidents or their events (`alias`): the grid-code prefix bound as
    %(param)s (its value ends in '%'), and the county it implies written out. Without a prefix: "true"."""
    if not prefix:
        return "true"
    column = f"{alias}.grid_code" if alias else "grid_code"
    county = f"{alias}.county_code" if alias else "county_code"
    return f"{column} LIKE %({param})s{county_sql(county, prefix)}"
