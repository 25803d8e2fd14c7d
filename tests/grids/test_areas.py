"""Areas are refused with a message, and nothing is saved, when code, parent or geometry is wrong."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry

from geo.errors import InvalidCode, InvalidGeometry
from grids.models import Area, AreaPart, BoundaryVersion
from tests.support.areas import box

BOWTIE = "POLYGON((112.40 35.00, 112.45 35.05, 112.40 35.05, 112.45 35.00, 112.40 35.00))"

BAD_GEOMETRIES = [
    (BOWTIE, "invalid geometry: Self-intersection"),
    ("I AM OBVIOUSLY WRONG", "cannot read geometry"),
    ('{"type": "Polygon", "coordinates": [[[112.4, 35.0], [112.5', "not valid JSON"),
    ('{"type": "Polygon"}', "needs 'type' and 'coordinates'"),
    ("POLYGON((35.0 112.4, 35.1 112.4, 35.1 112.5, 35.0 112.5, 35.0 112.4))", "look like lat, lon"),
    ("POLYGON((200 35, 201 35, 201 36, 200 36, 200 35))", "longitude 200.000000..201.000000 is out of range"),
    ("SRID=2000;POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))", "unsupported CRS EPSG:2000"),
    ("POINT(112.45 35.05)", "expected MultiPolygon, got Point"),
    ('{"type": "Polygon", "coordinates": [[[112.4, 35.0], [112.5, 35.0], [112.5, 35.1], [112.4, 35.0]]],'
     ' "crs": {"type": "name", "properties": {"name": "EPSG:4490"}}}', "'crs' members are not accepted"),
]


@pytest.mark.parametrize(("boundary", "message"), BAD_GEOMETRIES)
def test_bad_boundary_is_refused_and_nothing_saved(tree, boundary, message):
    before = (Area.objects.count(), BoundaryVersion.objects.count(), AreaPart.objects.count())
    with pytest.raises(InvalidGeometry) as err:
        Area.objects.create(code="419001103200003", name="坏网格", level=4, kind="rural",
                            parent=tree["village"], boundary=boundary)
    assert message in err.value.message
    assert err.value.field == "boundary"
    assert (Area.objects.count(), BoundaryVersion.objects.count(), AreaPart.objects.count()) == before


@pytest.mark.parametrize(("code", "level", "parent", "message"), [
    ("419001103200003", 4, "419001103", "must be a village/community"),
    ("419001104200003", 4, "419001103200", "does not start with its parent's code"),
    ("419001103201", 3, "419001", "must be a township/street"),
    ("419001103200003", 4, "419001103299", "parent 419001103299 does not exist"),
])
def test_bad_code_or_parent_is_refused_and_nothing_saved(tree, code, level, parent, message):
    count = Area.objects.count()
    with pytest.raises(InvalidCode) as err:
        Area.objects.create(code=code, name="x", level=level, kind="rural", parent_id=parent,
                            boundary=box(112.4, 35.0, 112.41, 35.01))
    assert message in err.value.message
    assert Area.objects.count() == count


def test_polygon_is_stored_as_multipolygon_and_cgcs2000_is_transformed(tree):
    # CGCS2000 (EPSG:4490) differs from WGS84 by centimetres: the stored shape is the same to 1e-6°.
    cgcs = GEOSGeometry("SRID=4490;POLYGON((112.40 35.00, 112.45 35.00, 112.45 35.05, 112.40 35.05, 112.40 35.00))")
    area = Area.objects.create(code="4190011032009001", name="学校专属网格", level=5, kind="school",
                               parent=tree["village"], boundary=cgcs)
    area.refresh_from_db()
    assert area.boundary.geom_type == "MultiPolygon"
    assert area.boundary.srid == 4326
    assert area.boundary.extent == pytest.approx((112.40, 35.00, 112.45, 35.05), abs=1e-6)


def test_gauss_kruger_boundary_is_transformed_to_wgs84(tree):
    # EPSG:4546 is CGCS2000 / 3-degree Gauss-Kruger CM 111E, the zone 济源 surveys use (false easting 500 km).
    gk = GEOSGeometry("SRID=4546;POLYGON((636000 3876000, 637000 3876000, 637000 3877000, 636000 3877000, "
                      "636000 3876000))")
    area = Area.objects.create(code="4190011032009002", name="工地专属网格", level=5, kind="construction",
                               parent=tree["village"], boundary=gk)
    xmin, ymin, xmax, ymax = area.boundary.extent
    assert 112.4 < xmin < xmax < 112.6 and 34.9 < ymin < ymax < 35.1


def test_creating_an_area_records_its_first_boundary_version(tree):
    versions = BoundaryVersion.objects.filter(area=tree["west"])
    assert versions.count() == 1
    assert versions[0].valid_to is None
    assert versions[0].boundary.equals(tree["west"].boundary)
