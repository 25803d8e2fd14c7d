"""The analysis tests' small county: the shared tree (one township, one village, two grids) with 500
registered residents and the default three-zero rules, and helpers that write matters with chosen times."""

from __future__ import annotations

import datetime as dt
import importlib
import zoneinfo

import pytest
from django.contrib.gis.geos import Point

from analysis.models import ThreeZeroRule, Weight, WeightVersion
from layers.models import Building, Incident, Room
from people.models import Person, Residence

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
WEST_POINT = (112.45, 35.05)
EAST_POINT = (112.55, 35.05)


def local(y: int, m: int, d: int, h: int = 12) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SHANGHAI)


def matter(category: str, reported: dt.datetime, *, due: dt.datetime | None = None, closed: dt.datetime | None = None,
           at: tuple[float, float] = WEST_POINT, severity: str = "general", subcategory: str = "",
           source: str = "walk_in") -> Incident:
    return Incident.objects.create(location=Point(*at, srid=4326), category=category, severity=severity,
                                   subcategory=subcategory, source=source,
                                   status="closed" if closed else "accepted", reported_at=reported, due_at=due,
                                   closed_at=closed, accepted_at=reported)


def weights(valid_from: dt.date, table: dict[str, tuple[float, float, float]], **bands) -> WeightVersion:
    """A weight version written as history (months already past): {input: (weight, good, bad)}."""
    version = WeightVersion(valid_from=valid_from, note="test", **bands)
    version.save(history=True)
    for key, (weight, good, bad) in table.items():
        Weight(version=version, input=key, weight=weight, good=good, bad=bad).save(history=True)
    return version


@pytest.fixture
def county(tree):
    """The tree with 500 residents in its village (two rooms of 250 people each, registered: the index's
    residents are the people rollup's population) and the seeded weights removed."""
    building = Building.objects.create(address_code="41900110320000001", location=Point(*WEST_POINT, srid=4326))
    rooms = [Room.objects.create(building=building, number=f"{n:03d}", residents=250,
                                 address_code=Room.make_code(building.address_code, 1, 1, n)) for n in (1, 2)]
    people = Person.objects.bulk_create(
        Person(name=f"演示{i}", id_hash=f"{i:064x}", id_cipher=b"-", gender="M", birth_date=dt.date(1980, 1, 1),
               demo=True) for i in range(500))
    Residence.objects.bulk_create(Residence(person=p, room=rooms[i % 2], moved_in=dt.date(2020, 1, 1))
                                  for i, p in enumerate(people))
    WeightVersion.objects.all().delete()
    # The default three-zero rules as the migration seeds them (a test that flushed the database, such as
    # the contract test, leaves none behind).
    ThreeZeroRule.objects.all().delete()
    for criterion, name, fields in importlib.import_module("analysis.migrations.0002_seed").RULES:
        ThreeZeroRule.objects.create(criterion=criterion, name=name, **fields)
    return tree
