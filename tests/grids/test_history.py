"""A replaced boundary is kept, and lookups on a past date answer with the boundary of that day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point

from geo.errors import InvalidCode
from grids.lookup import locate
from grids.models import Area, BoundaryVersion
from layers.models import Incident
from tests.support.areas import MID, NORTH, SOUTH, box

BEFORE = dt.date(2025, 6, 1)
REDRAW = dt.date(2026, 1, 1)
AFTER = dt.date(2026, 2, 1)


@pytest.fixture
def redrawn(tree):
    """Move the shared edge from x=112.5 to x=112.52: west grows, east shrinks, from REDRAW on."""
    for area in (tree["west"], tree["east"]):
        BoundaryVersion.objects.filter(area=area).update(valid_from=dt.date(2020, 1, 1))
    tree["west"].replace_boundary(box(112.4, SOUTH, 112.52, NORTH), on=REDRAW, reason="estate built", author="t")
    tree["east"].replace_boundary(box(112.52, SOUTH, 112.6, NORTH), on=REDRAW, reason="estate built", author="t")
    return tree


def test_old_version_is_kept_with_its_period(redrawn):
    versions = list(BoundaryVersion.objects.filter(area=redrawn["west"]).order_by("valid_from"))
    assert [(v.valid_from, v.valid_to) for v in versions] == [(dt.date(2020, 1, 1), REDRAW), (REDRAW, None)]
    assert versions[0].boundary.extent[2] == pytest.approx(MID)
    assert versions[1].reason == "estate built"


def test_lookup_in_the_past_uses_the_boundary_of_that_day(redrawn):
    moved = Point(112.51, 35.05, srid=4326)  # east before the redraw, west after
    assert locate(moved, at=BEFORE)["grid"]["code"] == redrawn["east"].code
    assert locate(moved, at=AFTER)["grid"]["code"] == redrawn["west"].code
    assert locate(moved)["grid"]["code"] == redrawn["west"].code
    assert redrawn["east"].boundary_on(BEFORE).extent[0] == pytest.approx(MID)


def test_current_placement_follows_the_new_boundary(redrawn):
    incident = Incident.objects.create(location=Point(112.51, 35.05, srid=4326), category="dispute",
                                       source="walk_in")
    assert incident.grid_id == redrawn["west"].code


def test_a_version_cannot_start_before_the_current_one(redrawn):
    with pytest.raises(InvalidCode, match="cannot start on 2025-06-01"):
        redrawn["west"].replace_boundary(box(112.4, SOUTH, 112.51, NORTH), on=BEFORE, reason="x")
    assert Area.objects.get(code=redrawn["west"].code).boundary.extent[2] == pytest.approx(112.52)


def test_chain_lists_every_level(tree, inside_east):
    chain = locate(inside_east)
    assert [chain[k]["code"] for k in ("county", "township", "village", "grid")] == [
        "419001", "419001103", "419001103200", "419001103200002"]
    assert locate(inside_east, scope="419002")["grid"] is None
