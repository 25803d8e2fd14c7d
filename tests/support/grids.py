"""Helpers for the grid-management tests: API calls with a token, named shapes, placed things."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.test import Client
from django.utils import timezone

from geo.access import clear_token_cache, create_user
from grids.models import Area, Assignment, Worker
from layers.models import Building, Incident, Place, Room
from tests.support.areas import EAST, MID, NORTH, SOUTH, WEST, box

__all__ = ["EAST", "MID", "NORTH", "SOUTH", "WEST", "Api", "box", "gj", "notched", "add_building", "add_incident",
           "add_place", "add_worker", "api_as", "frozen"]


class Api:
    """A test client that sends a bearer token and JSON bodies."""

    def __init__(self, client: Client, key: str) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, path: str, **params: Any):
        return self.client.get(path, params, **self.headers)

    def post(self, path: str, body: Any):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(path, data, content_type="application/json", **self.headers)


def api_as(client: Client, name: str, role: str, scope: str) -> Api:
    clear_token_cache()
    _, key = create_user(name, role, scope)
    return Api(client, key)


def gj(geom: GEOSGeometry) -> dict:
    return json.loads(geom.json)


def notched(west: float, south: float, east: float, north: float, notch: tuple[float, float, float, float]
            ) -> MultiPolygon:
    """A box with a rectangular bite taken out of it."""
    return MultiPolygon(Polygon.from_bbox((west, south, east, north)).difference(Polygon.from_bbox(notch)), srid=4326)


def add_building(number: int, x: float, y: float, rooms: int = 0, village: str = "419001103200") -> Building:
    building = Building.objects.create(address_code=f"{village}{number:05d}", location=Point(x, y, srid=4326))
    for r in range(rooms):
        Room.objects.create(building=building, number=f"{r + 1:03d}",
                            address_code=Room.make_code(building.address_code, 1, 1, r + 1))
    return building


def add_incident(x: float, y: float, status: str = "accepted") -> Incident:
    return Incident.objects.create(location=Point(x, y, srid=4326), category="dispute", source="walk_in",
                                   status=status, closed_at=timezone.now() if status == "closed" else None)


def add_place(code: str, x: float, y: float) -> Place:
    return Place.objects.create(kind="camera", name=code, code=code, location=Point(x, y, srid=4326))


def add_worker(number: str, area: Area, role: str = "full_time") -> Worker:
    worker = Worker.objects.create(employee_no=number, name=f"网格员{number}", role=role)
    Assignment.objects.create(worker=worker, area=area, role=role)
    return worker


def frozen() -> dict[str, Any]:
    """Everything a boundary change may touch, to assert that a refused one touched nothing."""
    from geo.models import AuditRecord
    from grids.models import AreaPart, BoundaryVersion

    return {
        "areas": sorted((a.code, a.boundary.wkt, a.valid_to) for a in Area.objects.all()),
        "versions": sorted(BoundaryVersion.objects.values_list("area_id", "valid_from", "valid_to")),
        "parts": AreaPart.objects.count(),
        "placed": sorted(list(Building.objects.values_list("address_code", "grid_id"))
                         + [(str(i), g) for i, g in Incident.objects.values_list("id", "grid_id")]),
        "assignments": sorted(Assignment.objects.values_list("worker_id", "area_id", "valid_to")),
        "audit": AuditRecord.objects.filter(action="boundary_change").count(),
    }
