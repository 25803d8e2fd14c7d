"""Buildings, places and incidents are placed in their grid by PostGIS when written."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from geo.errors import InvalidGeometry
from grids.lookup import locate
from grids.models import Area
from layers.models import Building, Incident, Place
from tests.support.areas import box


def make_incident(point: Point, **extra) -> Incident:
    return Incident.objects.create(location=point, category="dispute", source="grid_discovery", **extra)


def test_incident_is_assigned_to_the_grid_that_contains_it(tree, inside_west, inside_east):
    assert make_incident(inside_west).grid_id == tree["west"].code
    assert make_incident(inside_east).grid_id == tree["east"].code


def test_point_on_a_shared_edge_goes_to_one_grid_deterministically(tree, on_edge):
    # Both grids cover the edge; the lower code wins, every time and in every path.
    first = make_incident(on_edge)
    second = make_incident(Point(on_edge.x, on_edge.y, srid=4326))
    assert first.grid_id == second.grid_id == tree["west"].code
    assert locate(on_edge)["grid"]["code"] == tree["west"].code
    with connection.cursor() as cursor:
        cursor.execute("select gridmap_area_at(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 4)", [on_edge.x, on_edge.y])
        assert cursor.fetchone()[0] == tree["west"].code


def test_point_outside_every_grid_stays_unplaced(tree, disjoint):
    assert make_incident(disjoint).grid_id is None


def test_moving_an_incident_moves_it_to_the_new_grid(tree, inside_west, inside_east):
    incident = make_incident(inside_west)
    incident.location = inside_east
    incident.save()
    assert incident.grid_id == tree["east"].code
    assert Incident.objects.get(pk=incident.pk).grid_id == tree["east"].code


def test_incident_in_a_dedicated_grid_records_both(tree, inside_west):
    school = Area.objects.create(code="4190011032009001", name="学校", level=5, kind="school",
                                 parent=tree["village"], boundary=box(112.44, 35.04, 112.46, 35.06))
    incident = make_incident(inside_west)
    assert (incident.grid_id, incident.dedicated_grid_id) == (tree["west"].code, school.code)


def test_buildings_and_places_are_placed_too(tree, inside_east):
    building = Building.objects.create(address_code="41900110320000001", location=inside_east)
    place = Place.objects.create(kind="camera", name="cam", code="CAM1", location=inside_east)
    assert building.grid_id == place.grid_id == tree["east"].code


def test_bulk_inserted_rows_are_placed_by_the_database(tree, inside_west):
    # Placement is a trigger, so it holds for writes that bypass the ORM's save() (COPY, bulk_create).
    Incident.objects.bulk_create([Incident(location=inside_west, category="dispute", source="walk_in")] * 3)
    assert set(Incident.objects.values_list("grid_id", flat=True)) == {tree["west"].code}


def test_swapped_lonlat_incident_is_refused_and_not_saved(tree):
    with pytest.raises(InvalidGeometry, match="look like lat, lon"):
        make_incident(Point(35.05, 112.45, srid=4326))
    assert Incident.objects.count() == 0


def test_scope_is_a_prefix_on_the_grid_code(tree, inside_west, inside_east):
    make_incident(inside_west)
    make_incident(inside_east)
    assert Incident.objects.within(tree["west"].code).count() == 1
    assert Incident.objects.within(tree["township"].code).count() == 2
    assert Incident.objects.within("419001104").count() == 0
