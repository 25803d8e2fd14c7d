"""What lives inside a grid, described to grids/ by the apps that own it.

Counting the buildings of an area and moving them to their new grid after a redraw are grid
management's job, but the tables belong to `layers`, a higher layer that grids must not import. So
layers describes its placed tables here when the app registry is ready (layers/apps.py), and grids
builds its set-based SQL from these descriptions. The SQL fragments are written by the registering
app, never taken from a request.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlacedTable:
    """A table whose rows the database places in a basic grid from a point (a placement trigger).

    `name` is the key in counts and redraw reports ("buildings", "open_incidents").
    `selection` is an SQL predicate on the table's columns that picks the rows which are counted and
    which follow a redraw ("" = all rows). Incidents use it so that only open incidents move: a
    closed incident keeps the grid that handled it, which is what that grid's closure and on-time
    figures for the period were computed from.
    """

    name: str
    table: str
    label_column: str
    selection: str = ""
    key_column: str = "id"
    location_column: str = "location"
    grid_column: str = "grid_code"
    dedicated_column: str | None = None
    # The table is partitioned by county on this column (the incidents): an area's rows are also selected
    # by the county its code implies, so that only that county's partition is read (geo/scope.py).
    county_column: str | None = None


@dataclass(frozen=True)
class DependentTable:
    """A table counted through a placed parent (rooms through their building): it moves with it."""

    name: str
    table: str
    parent: str
    fk_column: str


_PLACED: dict[str, PlacedTable] = {}
_DEPENDENT: dict[str, DependentTable] = {}


def register(entry: PlacedTable | DependentTable) -> None:
    """Describe a table to grids/ (idempotent: AppConfig.ready may run more than once in tests)."""
    if isinstance(entry, PlacedTable):
        _PLACED[entry.name] = entry
    else:
        _DEPENDENT[entry.name] = entry


def placed_tables() -> list[PlacedTable]:
    return list(_PLACED.values())


def dependent_tables() -> list[DependentTable]:
    return list(_DEPENDENT.values())


def report_names() -> list[str]:
    """Every key a count or move report has, in a stable order: placed tables, then dependent ones."""
    return [t.name for t in placed_tables()] + [t.name for t in dependent_tables()]
