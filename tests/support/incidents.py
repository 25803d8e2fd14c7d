"""A small staffed county for the incident tests, built on conftest's `tree`.

    grid west  419001103200001: worker W-WEST, and inside it the school's dedicated grid (worker D-SCHOOL)
    grid east  419001103200002: only a chief, C-EAST (the fallback when nobody else is assigned)
    building   41900110320000001 in the east grid, with a footprint; 41900110320000002 in the west, a point

Users (role, scope): op (operator, county, sees personal data), leader (township), analyst (county),
planner (county), gw_west / gw_east (grid workers of each grid), admin (unrestricted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.test import Client
from django.test.client import ClientHandler

from geo import wsgi
from geo.access import clear_token_cache, create_user
from geo.fastpath import FastPath
from geo.models import Profile
from grids.models import Area, Assignment, Worker
from layers.models import Building
from tests.support.areas import box
from tests.support.wsgi import call_wsgi

SCHOOL = "4190011032009001"
WEST_POINT = (112.45, 35.05)  # in the west grid, outside the school
SCHOOL_POINT = (112.42, 35.02)
EAST_POINT = (112.55, 35.05)
EAST_BUILDING = "41900110320000001"
WEST_BUILDING = "41900110320000002"


@dataclass
class World:
    """`transport`: "django" posts with Django's test client (the views); "wsgi" posts through the
    production WSGI application, fast path first (geo.fastpath), with the test client's handler behind it."""

    tree: dict[str, Area]
    keys: dict[str, str] = field(default_factory=dict)
    workers: dict[str, Worker] = field(default_factory=dict)
    client: Client = field(default_factory=Client)
    transport: str = "django"

    def headers(self, who: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.keys[who]}"}

    def post(self, who: str | None, path: str, body: Any = None, **extra):
        headers = self.headers(who) if who else {}
        data = body if isinstance(body, (str, bytes)) else json.dumps(body or {})
        if self.transport == "wsgi":
            return wsgi_post(path, data, **headers, **extra)
        return self.client.post(path, data, content_type="application/json", **headers, **extra)

    def get(self, who: str | None, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, **(self.headers(who) if who else {}))

    def report(self, who: str = "op", point: tuple[float, float] = WEST_POINT, **properties):
        body = {"category": "dispute", "source": "walk_in", **properties}
        if "address_code" not in properties:
            body.update(lon=point[0], lat=point[1])
        return self.post(who, "/api/incidents", body)


@dataclass
class WsgiResponse:
    """As much of Django's test response as the tests read: status_code, content, json(), headers."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def __contains__(self, name: str) -> bool:
        return name in self.headers


def django_behind(environ, start_response):
    """Django behind the fast path, as the test client runs it (no CSRF enforcement, same connection)."""
    response = ClientHandler(enforce_csrf_checks=False)(environ)
    start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
    # A streamed answer (an export that happened to accept the sweep's value) is read whole.
    return [b"".join(response.streaming_content)] if response.streaming else [response.content]


def wsgi_post(path: str, data: str | bytes, content_type: str = "application/json", **headers) -> WsgiResponse:
    """POST through FastPath(routes of geo.wsgi) as gunicorn would call it, keeping the test's connection."""
    body = data.encode() if isinstance(data, str) else data
    app = FastPath(django_behind, wsgi.application.routes)
    status, response_headers, content = call_wsgi(app, "POST", path, body=body, CONTENT_TYPE=content_type,
                                                  CONTENT_LENGTH=str(len(body)), **headers)
    return WsgiResponse(int(status.split()[0]), response_headers, content)


def make_world(tree: dict[str, Area], transport: str = "django") -> World:
    clear_token_cache()
    world = World(tree, transport=transport)
    Area.objects.create(code=SCHOOL, name="承留小学", level=5, kind="school", parent=tree["village"],
                        boundary=box(112.41, 35.01, 112.43, 35.03))
    for employee_no, role, grid in (("W-WEST", "full_time", tree["west"].code), ("D-SCHOOL", "dedicated", SCHOOL),
                                    ("C-EAST", "chief", tree["east"].code)):
        worker = Worker.objects.create(employee_no=employee_no, name=employee_no.lower(), role=role)
        Assignment.objects.create(worker=worker, area_id=grid, role=role)
        world.workers[employee_no] = worker
    Building.objects.create(address_code=EAST_BUILDING, name="1号楼", street="承留大道", door_plate="1号",
                            location=Point(*EAST_POINT, srid=4326),
                            footprint=box(112.549, 35.049, 112.551, 35.051))
    Building.objects.create(address_code=WEST_BUILDING, name="2号楼", location=Point(112.46, 35.06, srid=4326))
    county, township = tree["county"].code, tree["township"].code
    for who, role, scope, personal in (("op", "operator", county, True), ("leader", "leader", township, False),
                                       ("analyst", "analyst", county, False), ("planner", "planner", county, False),
                                       ("gw_west", "grid_worker", tree["west"].code, False),
                                       ("gw_east", "grid_worker", tree["east"].code, False),
                                       ("admin", "administrator", "", True)):
        _, world.keys[who] = create_user(who, role, scope, personal_data=personal)
    Profile.objects.filter(user__username="gw_west").update(worker_no="W-WEST")
    Profile.objects.filter(user__username="gw_east").update(worker_no="C-EAST")
    return world
