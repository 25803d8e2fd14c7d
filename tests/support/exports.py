"""A small county for export tests, and what the database says each exported row should hold.

    county 419001 ─ township 419001103 ─ village …200 ─ grids west (…001) | east (…002)
                  │                                  └ dedicated grid …9001: a square with a square hole,
                  │                                    stored clockwise (the wrong way for RFC 7946)
                  └ township 419001104 ─ village …200 ─ grid …001 ("other": another township's data)

`expected(layer)` reads the database through the ORM, independently of the export SQL, so a test that
compares a file with it checks the export rather than repeating it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import shapely
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from geo.access import clear_token_cache, create_user
from grids.models import Area, Assignment, Worker
from layers.exports.registry import BOOL, DATE, DATETIME, FLOAT, INT, JSON, REGISTRY
from layers.models import Building, Incident, Place, Room
from tests.support.areas import box

CST = ZoneInfo("Asia/Shanghai")
TRICKY = 'line one\nline two\t"quoted" back\\slash 中文 </script> ,;'


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture
def county(tree) -> dict[str, Any]:
    clear_token_cache()
    other_township = Area.objects.create(code="419001104", name="邵原镇", level=2, parent=tree["county"],
                                         boundary=box(112.6, 35.0, 112.7, 35.1))
    other_village = Area.objects.create(code="419001104200", name="邵原村", level=3, parent=other_township,
                                        boundary=box(112.6, 35.0, 112.7, 35.1))
    other = Area.objects.create(code="419001104200001", name="邵原网格", level=4, kind="rural", parent=other_village,
                                boundary=box(112.6, 35.0, 112.7, 35.1))
    tree["county"].replace_boundary(box(112.4, 35.0, 112.7, 35.1), reason="test extent")
    clockwise = Polygon(((112.42, 35.02), (112.42, 35.08), (112.48, 35.08), (112.48, 35.02), (112.42, 35.02)),
                        ((112.44, 35.04), (112.46, 35.04), (112.46, 35.06), (112.44, 35.06), (112.44, 35.04)))
    assert not clockwise.exterior_ring.is_counterclockwise
    school = Area.objects.create(code="4190011032009001", name="承留小学专属网格", level=5, kind="school",
                                 parent=tree["village"], boundary=MultiPolygon(clockwise, srid=4326))
    workers = {}
    for key, grid in (("west", tree["west"]), ("east", tree["east"]), ("other", other)):
        workers[key] = Worker.objects.create(employee_no=f"W-{key}", name=f"网格员{key}", phone="13900000000")
        Assignment.objects.create(worker=workers[key], area=grid)
    buildings = {
        "west": Building.objects.create(address_code="41900110320000001", name="1号楼", street="承留路",
                                        door_plate="1号", floors=6, location=Point(112.45, 35.09, srid=4326),
                                        footprint=box(112.4495, 35.0895, 112.4505, 35.0905)),
        "east": Building.objects.create(address_code="41900110320000002", name="2号楼", use="commercial", floors=2,
                                        location=Point(112.55, 35.05, srid=4326)),
        "other": Building.objects.create(address_code="41900110420000001", name="邵原1号", floors=1,
                                         location=Point(112.65, 35.05, srid=4326)),
    }
    for key, building in buildings.items():
        for unit in (1, 2):
            Room.objects.create(building=building, unit=unit, floor=3, number="301", households=1,
                                residents=unit + (key == "west"),
                                address_code=Room.make_code(building.address_code, unit, 3, 301))
    Place.objects.create(kind="camera", name="路口摄像头", code="CAM1", location=Point(112.46, 35.03, srid=4326),
                         attributes={"direction": "北", "height_m": 6.5})
    Place.objects.create(kind="school", name="邵原小学", code="SCH1", location=Point(112.61, 35.01, srid=4326))
    incidents = {
        "closed": Incident.objects.create(
            location=Point(112.4512345678, 35.0598765432, srid=4326), building=buildings["west"],
            category="dispute", subcategory="neighbours", severity="general", source="grid_discovery",
            status="closed", reported_at=at("2026-03-10T10:00:00"), due_at=at("2026-03-11T10:00:00"),
            closed_at=at("2026-03-11T09:00:00"), satisfaction=5, description=TRICKY, assignee=workers["west"],
            reporter_name="张三", reporter_phone="13800000000", parties="李四、王五"),
        "late": Incident.objects.create(
            location=Point(112.43, 35.07, srid=4326), category="livelihood", severity="larger", source="hotline_12345",
            status="closed", reported_at=at("2026-03-20T08:00:00"), due_at=at("2026-03-27T08:00:00"),
            closed_at=at("2026-04-02T08:00:00"), satisfaction=3, reporter_name="赵六"),
        "overdue": Incident.objects.create(
            location=Point(112.55, 35.05, srid=4326), building=buildings["east"], category="petition",
            severity="major", source="walk_in", status="reported", reported_at=at("2026-03-15T12:00:00"),
            due_at=at("2026-04-14T12:00:00")),
        "new_year": Incident.objects.create(
            location=Point(112.57, 35.02, srid=4326), category="dispute", severity="general", source="town_report",
            status="accepted", reported_at=at("2025-12-31T23:30:00"), due_at=timezone.now() + dt.timedelta(days=1)),
        "other": Incident.objects.create(
            location=Point(112.65, 35.05, srid=4326), category="safety_hazard", severity="general",
            source="public_report", status="dispatched", reported_at=at("2026-03-12T09:00:00"),
            reporter_phone="13700000000"),
    }
    return {**tree, "other_township": other_township, "other": other, "school": school, "workers": workers,
            "buildings": buildings, "incidents": incidents}


@pytest.fixture
def admin_key(db) -> str:
    return create_user("export-admin", "administrator", "")[1]


@pytest.fixture
def analyst_key(county) -> str:
    """An analyst of township 419001103, without the personal-data permission."""
    return create_user("export-analyst", "analyst", "419001103")[1]


def download(client, key: str, url: str) -> tuple[Any, bytes]:
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


# ------------------------------------------------------------------------------ what the database says

def _overdue(i: Incident, now: dt.datetime) -> bool:
    if i.due_at is None:
        return False
    return (i.is_open and now > i.due_at) or (i.closed_at is not None and i.closed_at > i.due_at)


def expected(layer: str, *, personal: bool = False, scope: str = "") -> dict[Any, dict[str, Any]]:
    """fid → {column: value, "geometry": shapely geometry in 4326}, straight from the ORM."""
    now = timezone.now()
    rows: dict[Any, dict[str, Any]] = {}
    if layer == "grids":
        for a in Area.objects.current().within(scope):
            rows[a.code] = {"code": a.code, "name": a.name, "level": a.level, "kind": a.kind, "parent": a.parent_id,
                            "valid_from": a.valid_from, "valid_to": a.valid_to, "illustrative": a.illustrative,
                            "geometry": shapely.from_wkt(a.boundary.wkt)}
    elif layer == "buildings":
        for b in Building.objects.within(scope):
            rows[b.address_code] = {"address_code": b.address_code, "name": b.name, "street": b.street,
                                    "door_plate": b.door_plate, "use": b.use, "floors": b.floors, "grid": b.grid_id,
                                    "has_footprint": b.footprint is not None,
                                    "geometry": shapely.from_wkt(b.location.wkt)}
    elif layer == "rooms":
        for r in Room.objects.select_related("building").filter(building__grid__code__startswith=scope):
            rows[r.address_code] = {"address_code": r.address_code, "building": r.building.address_code,
                                    "unit": r.unit, "floor": r.floor, "number": r.number, "households": r.households,
                                    "residents": r.residents, "grid": r.building.grid_id,
                                    "geometry": shapely.from_wkt(r.building.location.wkt)}
    elif layer == "places":
        for p in Place.objects.within(scope):
            rows[p.code] = {"code": p.code, "kind": p.kind, "name": p.name, "grid": p.grid_id,
                            "attributes": p.attributes, "geometry": shapely.from_wkt(p.location.wkt)}
    elif layer == "incidents":
        for i in Incident.objects.within(scope).select_related("building", "assignee"):
            row = {"id": i.pk, "class": i.category, "subcategory": i.subcategory, "severity": i.severity,
                   "source": i.source, "risk_level": i.risk_level, "status": i.status, "overdue": _overdue(i, now),
                   "grid": i.grid_id, "dedicated": i.dedicated_grid_id,
                   "building": i.building.address_code if i.building else None, "department": i.department,
                   "assignee": i.assignee.employee_no if i.assignee else None, "satisfaction": i.satisfaction,
                   "description": i.description, "geometry": shapely.from_wkt(i.location.wkt)}
            for name in ("reported_at", "accepted_at", "dispatched_at", "started_at", "resolved_at", "verified_at",
                         "closed_at", "due_at"):
                row[name] = getattr(i, name)
            if personal:
                row.update(reporter_name=i.reporter_name, reporter_phone=i.reporter_phone, parties=i.parties)
            rows[i.pk] = row
    else:
        raise ValueError(layer)
    return rows


# ----------------------------------------------------------------------- reading values back from files

def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def normalise(kind: str, value: Any) -> Any:
    """A value read back from any format, in the form `expected` gives (text and NULL are both "" in CSV)."""
    if _missing(value) or value == "":
        return None
    if kind == DATETIME:
        stamp = pd.Timestamp(value)
        assert stamp.tzinfo is not None, f"a time without its offset: {value!r}"
        return stamp.to_pydatetime()
    if kind == DATE:
        return pd.Timestamp(value).date()
    if kind == INT:
        assert float(value) == int(float(value)), value
        return int(float(value))
    if kind == FLOAT:
        return float(value)
    if kind == BOOL:
        if isinstance(value, str):
            assert value.lower() in {"true", "false", "t", "f"}, value
            return value.lower() in {"true", "t"}
        return bool(value)
    if kind == JSON:
        return json.loads(value) if isinstance(value, str) else value
    return str(value)


def compare(layer: str, frame, exp: dict[Any, dict[str, Any]], *, names: dict[str, str] | None = None,
            tolerance: float = 1e-7) -> None:
    """Every row of `frame` (a GeoDataFrame read back) matches the database: same ids, values, geometries."""
    columns = {c.name: c for c in REGISTRY[layer].columns}
    names = names or {}
    key = next(iter(columns))
    key_kind = columns[key].kind
    got = {normalise(key_kind, row[names.get(key, key)]): row for _, row in frame.iterrows()}
    assert sorted(got, key=str) == sorted(exp, key=str)
    for fid, want in exp.items():
        row = got[fid]
        for name, value in want.items():
            if name == "geometry":
                # normalize: same rings whatever their winding and starting vertex
                assert shapely.normalize(row.geometry).equals_exact(shapely.normalize(value), tolerance), (
                    fid, row.geometry.wkt, value.wkt)
                continue
            have = normalise(columns[name].kind, row[names.get(name, name)])
            want_value = None if value in ("", None) else value
            if columns[name].kind == DATETIME and want_value is not None:
                assert have is not None and abs((have - want_value).total_seconds()) < 1e-3, (fid, name, have, value)
            else:
                assert have == want_value, (fid, name, have, value)
