"""Create one building or room with an allocated unified address code (the API's domain side).

Each function checks the caller's scope, validates every field (a GridmapError naming the field: a
400, nothing written), allocates the code, writes the address and its audit record in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from addresses import allocate
from geo.access import Access, audit
from geo.errors import InvalidCode, InvalidGeometry, InvalidInput, NotFound
from geo.geometry import point_from_lonlat
from geo.models import AuditRecord
from grids.codes import Level, check_digits
from grids.http import parse_text
from grids.models import Area, AreaPart
from layers.models import Building, Room

USES = {value: value for value in Building.Use.values}
# The register's Chinese words for a building's use.
USES.update({"住宅": "residential", "商业": "commercial", "商住": "mixed", "公共": "public", "工业": "industrial",
             "农房": "rural_house", "其他": "other"})
MAX_UNITS = 99
MAX_FLOORS = 999


def parse_use(value: Any, field: str = "use") -> str:
    """A use by its value (residential...) or the register's Chinese word (住宅...); residential when empty."""
    if value in (None, ""):
        return Building.Use.RESIDENTIAL
    use = USES.get(value) if isinstance(value, str) else None
    if use is None:
        raise InvalidInput(f"{field} {value!r} is not a use; use one of {', '.join(Building.Use.values)} "
                           "(or 住宅, 商业, 商住, 公共, 工业, 农房, 其他)", field=field)
    return use


def parse_int(value: Any, field: str, lo: int, hi: int, default: int | None = None, *, text: bool = False) -> int:
    """A whole number lo..hi from JSON (a number; `text`: also digits as text, for imported cells)."""
    if value is None and default is not None:
        return default
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif text and isinstance(value, str) and value.strip().lstrip("-").isdigit() and value.strip().isascii():
        number = int(value.strip())
    if number is None:
        raise InvalidInput(f"{field} must be a whole number {lo}-{hi}, got {value!r}", field=field)
    if not lo <= number <= hi:
        raise InvalidInput(f"{field} must be {lo}-{hi}, got {number}", field=field)
    return number


def parse_lonlat(data: dict[str, Any]):
    """lon and lat as JSON numbers (WGS84), with geo.geometry's range and swap checks."""
    lon, lat = data.get("lon"), data.get("lat")
    if lon is None or lat is None:
        raise InvalidInput("lon and lat are required", field="location")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat)):
        raise InvalidInput(f"lon and lat must be numbers, got {lon!r}, {lat!r}", field="location")
    return point_from_lonlat(lon, lat)


def village_for(village: Any, scope: str | None) -> Area:
    """The current village/community a new building goes in; 404 when it is not in the caller's reach."""
    if not isinstance(village, str) or not village:
        raise InvalidInput("village is required: the 12-digit code of the village/community", field="village")
    check_digits(village, "village")
    if len(village) != 12:
        raise InvalidCode(f"village must be a 12-digit village/community code; {village!r} has {len(village)}",
                          field="village")
    area = Area.objects.current().filter(code=village, level=Level.VILLAGE).first()
    if area is None or not (scope is None or village.startswith(scope) or scope.startswith(village)):
        raise NotFound(f"no village/community with code {village}")
    return area


def check_point_in(village: Area, lon: float, lat: float, scope: str | None) -> None:
    """The point lies in the village (and, for a caller scoped below the village, in their scope)."""
    covering = [row[1] for row in AreaPart.objects.covering(lon, lat)]
    if village.code not in covering:
        swapped = [row[1] for row in AreaPart.objects.covering(lat, lon)]
        if village.code in swapped:
            raise InvalidGeometry(f"location {lon}, {lat} has lon and lat swapped: {lat}, {lon} is in {village.code}",
                                  field="location")
        other = next((c for c in covering if len(c) == 12), None)
        where = f"it is in {other}" if other else "it is in no village/community"
        raise InvalidGeometry(f"location {lon}, {lat} is not inside {village.code} {village.name}; {where}",
                              field="location")
    if scope is not None and not village.code.startswith(scope) and not any(c.startswith(scope) for c in covering):
        raise InvalidGeometry(f"location {lon}, {lat} is outside your area {scope}", field="location")


def create_building(access: Access, data: dict[str, Any]) -> Building:
    """{"village", "lon", "lat"[, "name", "street", "door_plate", "use", "floors"]} → a new building."""
    village = village_for(data.get("village"), access.scope)
    point = parse_lonlat(data)
    check_point_in(village, point.x, point.y, access.scope)
    fields = {
        "name": parse_text(data, "name", max_length=100),
        "street": parse_text(data, "street", max_length=100),
        "door_plate": parse_text(data, "door_plate", max_length=30),
        "use": parse_use(data.get("use")),
        "floors": parse_int(data.get("floors"), "floors", 1, MAX_FLOORS, default=1),
    }
    with transaction.atomic():
        building = Building(address_code=allocate.next_building_code(village.code), location=point, **fields)
        building.save()
        audit(access, AuditRecord.Action.ADDRESS_CHANGE, target=building.address_code, rows=1,
              detail={"created": "building", "village": village.code, "grid": building.grid_id})
    return building


def create_room(access: Access, data: dict[str, Any]) -> Room:
    """{"building", "unit", "floor"[, "households", "residents"]} → a new room numbered on that floor."""
    code = data.get("building")
    if not isinstance(code, str) or not code:
        raise InvalidInput("building is required: its 17-digit address code", field="building")
    check_digits(code, "building")
    building = Building.objects.within(access.scope).filter(address_code=code).first()
    if building is None:
        raise NotFound(f"no building with address code {code}")
    unit = parse_int(data.get("unit"), "unit", 1, MAX_UNITS, default=1)
    floor = parse_int(data.get("floor"), "floor", 1, MAX_FLOORS)
    if floor > building.floors:
        raise InvalidInput(f"floor {floor}: building {code} has {building.floors} floors", field="floor")
    households = parse_int(data.get("households"), "households", 0, 999, default=1)
    residents = parse_int(data.get("residents"), "residents", 0, 9999, default=0)
    with transaction.atomic():
        number = allocate.next_room_number(code, unit, floor)
        room = Room(building=building, unit=unit, floor=floor, number=f"{floor}{number:02d}",
                    address_code=allocate.code(allocate.ROOM, allocate.room_prefix(code, unit, floor), number),
                    households=households, residents=residents)
        room.save()
        audit(access, AuditRecord.Action.ADDRESS_CHANGE, target=room.address_code, rows=1,
              detail={"created": "room", "building": code, "grid": building.grid_id})
    return room


def building_body(building: Building) -> dict[str, Any]:
    return {"address_code": building.address_code, "village": building.address_code[:12],
            "grid": building.grid_id, "name": building.name, "street": building.street,
            "door_plate": building.door_plate, "use": building.use, "floors": building.floors,
            "lon": building.location.x, "lat": building.location.y}


def room_body(room: Room) -> dict[str, Any]:
    return {"address_code": room.address_code, "building": room.building.address_code, "unit": room.unit,
            "floor": room.floor, "number": room.number, "households": room.households,
            "residents": room.residents}
