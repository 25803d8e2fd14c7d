"""POST /api/visits and GET /api/visits: visits and checks in the field, and a matter opened on the spot.

A visit names exactly one target: a room (`room`: its 25-digit address code: 入户 to a household), a
building (17 digits), a key place (`place`: its register code) or an enterprise (`enterprise`: its
统一社会信用代码 with `lon`/`lat`, until the enterprise register of branch `people` is there). The target
must be inside the caller's area (outside it, it does not exist: 404). With `incident` (the fields of an
incident report, without a location), the matter is reported at the target's position through the
ordinary intake, in the same transaction: both are stored, or neither.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.translation import gettext as _

from field.cleaning import CLOCK_SKEW
from field.models import Visit
from field.patrols import worker_of
from geo import once, sql
from geo.access import Access, audit
from geo.errors import Conflict, InvalidInput, NotFound
from geo.geometry import point_from_lonlat
from geo.models import AuditRecord
from layers.incidents import inputs
from layers.incidents.intake import intake, parse_report
from layers.models import Building, Incident, Place, Room

NOTE_MAX = 2000
PHOTO_MAX = 300
DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
ENTERPRISE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")  # GB 32100-2015
TARGETS = ("room", "building", "place", "enterprise")
# A visit may carry the phone's own time (`visited_at`: recorded offline, sent later); the server's time is
# kept beside it (created_at, answered as recorded_at). Without it the visit is stamped when recorded.
FIELDS = {"task", "room", "building", "place", "enterprise", "lon", "lat", "note", "photo", "client_id", "incident",
          "visited_at"}


def max_age_days() -> float:
    """How far back a phone's visit time may go (GRIDMAP_VISIT_MAX_AGE_DAYS, default 30): older is refused."""
    return float(getattr(settings, "GRIDMAP_VISIT_MAX_AGE_DAYS", 30.0))


def visit_time(data: Mapping[str, Any], now: dt.datetime) -> dt.datetime:
    """The phone's `visited_at` (ISO 8601; without an offset, China Standard Time), or now. A time in the
    future (beyond the patrols' 5 minutes of clock skew) or older than the limit is a 400: a wrong clock
    must not put a visit where the coverage figures would count it wrongly."""
    raw = data.get("visited_at")
    if raw in (None, ""):
        return now
    if not isinstance(raw, str) or DATE_ONLY.fullmatch(raw):
        raise InvalidInput(_("visited_at: expected an ISO 8601 date-time with the time of day, got {value!r}")
                           .format(value=raw), field="visited_at")
    moment = inputs.moment(raw, "visited_at")
    if moment > now + CLOCK_SKEW:
        raise InvalidInput(_("visited_at: {value} is in the future (the server's time is {now}); check the "
                             "phone's clock").format(value=raw, now=timezone.localtime(now).isoformat(
                                 timespec="seconds")), field="visited_at")
    oldest = now - dt.timedelta(days=max_age_days())
    if moment < oldest:
        raise InvalidInput(_("visited_at: {value} is older than {days:g} days; a visit is recorded within that "
                             "time").format(value=raw, days=max_age_days()), field="visited_at")
    return moment


@dataclass(frozen=True)
class Target:
    kind: str
    pk: int | None
    code: str
    location: Point
    grid: str | None


def target_of(access: Access, data: Mapping[str, Any]) -> Target:
    """The one thing visited, found inside the caller's area. The enterprise register's lookup goes here
    when branch `people` lands (by code, as rooms and places are found)."""
    given = [name for name in TARGETS if data.get(name) not in (None, "")]
    if len(given) != 1:
        raise InvalidInput(f"target: name exactly one of {', '.join(TARGETS)} (got {', '.join(given) or 'none'})",
                           field="target")
    kind = given[0]
    code = inputs.text(data, kind, max_length=32)
    if kind == "room":
        found = Room.objects.filter(address_code=code).select_related("building").first()
        row = found and (found.pk, found.building.location, found.building.grid_id)
    elif kind == "building":
        found = Building.objects.filter(address_code=code).first()
        row = found and (found.pk, found.location, found.grid_id)
    elif kind == "place":
        found = Place.objects.filter(code=code).first()
        row = found and (found.pk, found.location, found.grid_id)
    else:
        if not ENTERPRISE.fullmatch(code):
            raise InvalidInput(f"enterprise: {code!r} is not an 18-character unified social credit code",
                               field="enterprise")
        if data.get("lon") is None or data.get("lat") is None:
            raise InvalidInput("enterprise: give lon and lat of the enterprise (the register is not here yet)",
                               field="location")
        point = point_from_lonlat(data.get("lon"), data.get("lat"))
        grid = sql.rows("SELECT gridmap_area_at(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326), 4) AS g",
                        {"x": point.x, "y": point.y})[0]["g"]
        row = (None, point, grid)
    if not row or not row[2] or (access.scope and not row[2].startswith(access.scope)):
        raise NotFound(f"{kind}: no {kind} {code} in your area", field=kind)
    return Target(kind, row[0], code, row[1], row[2])


def record(access: Access, data: Any) -> tuple[Visit, bool]:
    """Store a visit (and its incident); (visit, created). The caller checked the "report" permission."""
    if not isinstance(data, Mapping):
        raise InvalidInput("body: expected a JSON object", field="body")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a field of a visit (fields: {', '.join(sorted(FIELDS))})",
                           field=unknown[0])
    task = inputs.choice(data, "task", Visit.Task, required=True)
    client_id = inputs.client_id(data)
    if (first := once.earlier(Visit, client_id)) is not None:
        return _replay(access, first), False
    target = target_of(access, data)
    note = inputs.text(data, "note", max_length=NOTE_MAX)
    photo = inputs.text(data, "photo", max_length=PHOTO_MAX)
    visited_at = visit_time(data, timezone.now())
    incident_fields = data.get("incident")
    if incident_fields is not None and not isinstance(incident_fields, Mapping):
        raise InvalidInput("incident: expected an object with the report's fields (category, description…)",
                           field="incident")
    report = None
    if incident_fields is not None:
        placed = [name for name in ("lon", "lat", "location", "address_code", "geometry") if name in incident_fields]
        if placed:
            raise InvalidInput(f"incident.{placed[0]}: the matter is placed where the visit was; give no location",
                               field="incident")
        # A matter found on a visit is a discovery in the field, whoever records it (operators included).
        report = parse_report({**incident_fields, "lon": target.location.x, "lat": target.location.y},
                              default_source=Incident.Source.GRID)
    def create() -> Visit:
        incident = intake(access, report).incident if report is not None else None
        visit = Visit.objects.create(
            client_id=client_id, task=task, user_id=access.user_id, username=access.username,
            worker_id=worker_of(access), location=target.location, grid_id=target.grid,
            visited_at=visited_at, note=note, photo=photo, incident=incident,
            enterprise_code=target.code if target.kind == "enterprise" else "",
            **({f"{target.kind}_id": target.pk} if target.kind != "enterprise" else {}))
        audit(access, AuditRecord.Action.VISIT, target=f"{target.kind} {target.code}",
              detail={"visit": visit.pk, "task": task, "incident": incident.pk if incident else None}, rows=1)
        return visit

    return once.create_once(Visit, client_id, create, lambda first: _replay(access, first),
                            "the visit could not be stored; retry")


def _replay(access: Access, visit: Visit) -> Visit:
    if visit.user_id != access.user_id:
        raise Conflict(f"client_id {visit.client_id} was already used by another user", field="client_id")
    return visit


def visit_dict(visit: Visit, access: Access) -> dict[str, Any]:
    """A visit as the API shows it. The note and the photo may describe a household: personal-data right only."""
    target = ("room", visit.room_id) if visit.room_id else ("building", visit.building_id) if visit.building_id \
        else ("place", visit.place_id) if visit.place_id else ("enterprise", visit.enterprise_code)
    body = {"id": visit.pk, "task": visit.task, "target": {"kind": target[0], "id": target[1]},
            "grid_code": visit.grid_id, "lon": visit.location.x, "lat": visit.location.y,
            "visited_at": timezone.localtime(visit.visited_at).isoformat(),
            "recorded_at": timezone.localtime(visit.created_at).isoformat(), "username": visit.username,
            "incident": visit.incident_id}
    if access.personal_data:
        body.update(note=visit.note, photo=visit.photo)
    return body


def list_visits(access: Access, params: Mapping[str, str], *, since: dt.date, until: dt.date,
                prefix: str | None) -> list[Visit]:
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    visits = Visit.objects.within(prefix).filter(visited_at__gte=start, visited_at__lt=end)
    task = params.get("task")
    if task:
        if task not in Visit.Task.values:
            raise InvalidInput(f"task: {task!r} is not one of {', '.join(Visit.Task.values)}", field="task")
        visits = visits.filter(task=task)
    return list(visits.order_by("-visited_at", "-id")[:5000])
