"""The addresses app's routes in the OpenAPI document, handed over in AddressesConfig.ready() (geo may not
import the apps above it)."""

from __future__ import annotations

from geo.openapi import JSON, LAT, LON, _nullable, _ok, _operation, _text


def paths() -> dict:
    """The addresses app: create a building or room with the next free unified address code."""
    whole = {"type": "integer"}
    building = {"type": "object", "required": ["village", "lon", "lat"], "properties": {
        "village": {"type": "string", "pattern": "^[0-9]{12}$", "description": "the village/community's code"},
        "lon": {**LON, "description": "inside the village (WGS84)"}, "lat": LAT,
        "name": _nullable(_text(100)), "street": _nullable(_text(100, "street/road or compound 街路巷/小区")),
        "door_plate": _nullable(_text(30, "门楼牌")),
        "use": _nullable({"enum": ["residential", "commercial", "mixed", "public", "industrial", "rural_house", "other",
                                   "住宅", "商业", "商住", "公共", "工业", "农房", "其他"]}),
        "floors": _nullable({**whole, "minimum": 1, "maximum": 999})}}
    room = {"type": "object", "required": ["building", "floor"], "properties": {
        "building": {"type": "string", "pattern": "^[0-9]{17}$", "description": "the building's address code"},
        "unit": _nullable({**whole, "minimum": 1, "maximum": 99, "description": "单元 (default 1)"}),
        "floor": {**whole, "minimum": 1, "maximum": 999, "description": "not above the building's floors"},
        "households": _nullable({**whole, "minimum": 0, "maximum": 999}),
        "residents": _nullable({**whole, "minimum": 0, "maximum": 9999})}}
    tags = ("addresses",)
    errors = ("400", "403", "404", "413")
    return {
        "/api/addresses/buildings": {"post": _operation(
            "address_building_create", "a new building with the next building number of its village",
            _ok("the building", {"type": "object", "required": ["address_code"]}), body={JSON: {"schema": building}},
            ok_status="201", errors=errors, tags=tags,
            description="Needs the addresses permission (planners, operators). The point must lie in the village "
                        "(and in the caller's area): a 400 on location otherwise, naming swapped lon/lat.")},
        "/api/addresses/rooms": {"post": _operation(
            "address_room_create", "a new room with the next room number on its unit's floor",
            _ok("the room", {"type": "object", "required": ["address_code"]}), body={JSON: {"schema": room}},
            ok_status="201", errors=errors, tags=tags,
            description="The building must be in the caller's area (404 otherwise); the floor not above its "
                        "floors (a 400 on floor).")},
    }
