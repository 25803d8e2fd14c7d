"""The address API: create a building or a room with the next free unified address code.

Thin, as every API view here: check access ("addresses": planners, operators, administrators), parse,
call addresses/service.py, answer JSON. A village or building outside the caller's scope is a 404.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from addresses import service
from geo.access import require
from grids.http import api_post, json_body, json_response


@api_post
def building_create(request: HttpRequest) -> JsonResponse:
    """POST /api/addresses/buildings {"village", "lon", "lat"[, "name", "street", "door_plate", "use", "floors"]}."""
    access = require(request, "addresses")
    building = service.create_building(access, json_body(request))
    return json_response(service.building_body(building), status=201)


@api_post
def room_create(request: HttpRequest) -> JsonResponse:
    """POST /api/addresses/rooms {"building", "floor"[, "unit", "households", "residents"]}."""
    access = require(request, "addresses")
    room = service.create_room(access, json_body(request))
    return json_response(service.room_body(room), status=201)
