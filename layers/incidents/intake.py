"""Intake: a report from a phone, a hotline or a desk becomes a placed incident with a due time.

A report is placed in its grid (and dedicated grid, and building), given its responsible worker and
its time limits, and checked against earlier reports for a likely duplicate, which is linked, never
dropped. A client id makes intake idempotent: phones on poor connections resend, and the same report
sent twice, one after the other or at the same moment, creates one incident and gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from geo import sql
from geo.access import Access
from geo.errors import Conflict, Forbidden, InvalidGeometry, InvalidInput
from geo.geometry import CHINA_LAT, parse_geometry, point_from_lonlat
from geo.models import Role
from grids.models import Worker
from layers.incidents import categories, inputs, links
from layers.incidents.represent import for_response
from layers.incidents.timelimits import FALLBACK, Limit, due_times
from layers.models import Building, Incident

# A point within this many metres of a building's point (and in no footprint) is that building's.
BUILDING_SNAP_M = 30.0
DESCRIPTION_MAX = 4000
PARTIES_MAX = 2000
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_EQUATOR = 111_320.0
# For the prefilter boxes of an address-code report, whose latitude is only known in the database:
# China's northernmost latitude, where a metre is the most degrees of longitude, so the box is wide
# enough anywhere in the country (the exact geography distance test follows it).
ADDRESS_LATITUDE = CHINA_LAT[1]


@dataclass(frozen=True)
class Report:
    """A validated report, before it is placed. Exactly one of `lonlat` and `address_code` is set."""

    client_id: str | None
    category: str
    subcategory: str
    severity: str
    source: str
    risk_level: str
    description: str
    reporter_name: str
    reporter_phone: str
    parties: str
    lonlat: tuple[float, float] | None
    address_code: str | None
    # The person or enterprise named (layers.incidents.links): ((field, value as given), ...).
    links: tuple[tuple[str, Any], ...] = ()

    def digest(self) -> str:
        """What a retry must repeat: a different report under a used client id is refused, not merged."""
        body = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if not self.links:  # a report naming nobody hashes as it did before links existed
            del body["links"]
        if self.lonlat:
            body["lonlat"] = [round(c, 7) for c in self.lonlat]
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    incident: Incident
    created: bool


def parse_report(data: Any, *, default_source: str = "") -> Report:
    """A report from a GeoJSON Feature (fields in `properties`), or a flat object with lon/lat, a
    `location` geometry, or an `address_code`. Raises InvalidInput/InvalidGeometry naming the field."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"body: expected a JSON object or GeoJSON Feature, got {type(data).__name__}", field="body")
    geometry: Any = None
    if data.get("type") == "Feature":
        fields = data.get("properties") or {}
        if not isinstance(fields, Mapping):
            raise InvalidInput("properties: expected an object", field="properties")
        geometry = data.get("geometry")
        point_field = "geometry"
    else:
        fields = data
        geometry = data.get("location")
        point_field = "location"
    category = inputs.choice(fields, "category", Incident.Category, required=True)
    subcategory = inputs.text(fields, "subcategory", max_length=200)
    problem = categories.check_subcategory(category, subcategory)
    if problem:
        raise InvalidInput(problem, field="subcategory")
    address_code = inputs.text(fields, "address_code", max_length=32) or None
    lon, lat = fields.get("lon"), fields.get("lat")
    given = [name for name, present in (("a geometry", geometry is not None),
                                        ("lon/lat", lon is not None or lat is not None),
                                        ("address_code", address_code is not None)) if present]
    if len(given) != 1:
        raise InvalidInput("give the location as exactly one of: a GeoJSON Point geometry, lon and lat, or an "
                           f"address_code (got {', '.join(given) or 'none'})", field="location")
    lonlat = None
    if geometry is not None:
        point = parse_geometry(geometry, kinds=("Point",), field=point_field)
        lonlat = (point.x, point.y)
    elif address_code is None:
        if lon is None or lat is None:
            raise InvalidInput("location: give both lon and lat", field="location")
        if isinstance(lon, bool) or isinstance(lat, bool):
            raise InvalidGeometry("location: lon and lat must be numbers", field="location")
        point = point_from_lonlat(lon, lat, field="location")
        lonlat = (point.x, point.y)
    elif len(address_code) != 17 or not (address_code.isascii() and address_code.isdigit()):
        raise InvalidInput(f"address_code: a building address code has 17 digits, got {address_code!r}",
                           field="address_code")
    return Report(
        client_id=inputs.client_id(fields),
        category=category,
        subcategory=subcategory,
        severity=inputs.choice(fields, "severity", Incident.Severity, default=Incident.Severity.GENERAL),
        source=inputs.choice(fields, "source", Incident.Source, default=default_source, required=not default_source),
        risk_level=inputs.choice(fields, "risk_level", Incident.Risk),
        description=inputs.text(fields, "description", max_length=DESCRIPTION_MAX),
        reporter_name=inputs.text(fields, "reporter_name", max_length=50),
        reporter_phone=inputs.phone(fields, "reporter_phone"),
        parties=inputs.text(fields, "parties", max_length=PARTIES_MAX),
        lonlat=lonlat,
        address_code=address_code,
        links=links.given(fields),
    )


def default_source(access: Access) -> str:
    """A grid worker's report is their own discovery; anyone else must say where a matter came from."""
    return Incident.Source.GRID if access.role == Role.GRID_WORKER else ""


def intake(access: Access, report: Report) -> Outcome:
    """Create the incident (or find the one this report already created). Needs the "report" permission,
    checked by the caller. Raises Conflict if the client id was used for a different report.

    Two round trips: intake_context.sql (everything about the point), intake_insert.sql (the row and
    its "report" event, committed by the one statement); a report naming a person or enterprise adds
    the linker's checks before the insert and its link row in the insert's transaction (links.py).
    """
    now = timezone.now()
    context = _context(access, report, now)
    if context["replay_id"] is not None:
        return _replay(access, report, context["replay_id"], context["replay_digest"], context["replay_grid"])
    if context["lon"] is None:
        raise InvalidInput(f"address_code: no building with address code {report.address_code}",
                           field="address_code")
    lon, lat, grid_code = context["lon"], context["lat"], context["grid_code"]
    if grid_code is None:
        raise InvalidGeometry(f"location: {lon:.6f}, {lat:.6f} is not inside any grid", field="location")
    if access.scope and not grid_code.startswith(access.scope):
        raise Forbidden(f"the location is in grid {grid_code}, outside your area {access.scope}")
    # Checked before the insert: a refused person or enterprise leaves nothing written.
    linked = links.check(access, report.links)
    limit = FALLBACK if context["handle_days"] is None else Limit(
        context["accept_days"], context["handle_days"], context["extend_days"], context["unit"],
        context["from_acceptance"])
    due = due_times(now, limit)
    incident = Incident(
        client_id=report.client_id, location=Point(lon, lat, srid=4326), category=report.category,
        subcategory=report.subcategory, severity=report.severity, source=report.source,
        risk_level=report.risk_level, description=report.description, reporter_name=report.reporter_name,
        reporter_phone=report.reporter_phone, parties=report.parties, status=Incident.Status.REPORTED,
        reported_at=now, accept_due_at=due.accept_due, due_at=due.due, limit_note=due.note,
        reported_by=access.username,
        intake_digest=report.digest(), reporter_worker_id=context["reporter_worker_id"],
        duplicate_of_id=context["duplicate_of_id"], county_code=grid_code[:6],
    )
    # The related rows the answer shows, as the context query found them (no further queries).
    if context["assignee_id"] is not None:
        incident.assignee = Worker(pk=context["assignee_id"], employee_no=context["assignee_no"],
                                   name=context["assignee_name"])
    if context["building_id"] is not None:
        incident.building = Building(pk=context["building_id"], address_code=context["building_code"])
    params = {field: getattr(incident, field) for field in INSERTED}
    params.update(lon=lon, lat=lat, building_id=incident.building_id, assignee_id=incident.assignee_id,
                  reporter_worker_id=incident.reporter_worker_id, duplicate_of_id=incident.duplicate_of_id,
                  note="; ".join(filter(None, (
                      f"likely duplicate of #{incident.duplicate_of_id}" if incident.duplicate_of_id else "",
                      due.note))))
    with transaction.atomic():  # the incident and its links, together or not at all
        rows = sql.run("layers.incidents", "intake_insert", params)
        if rows and linked:
            links.store(access, rows[0]["id"], linked)
    if not rows:
        # Another request with this client id committed in between (a concurrent retry): its answer is ours.
        return _replay(access, report)
    incident.pk, incident.grid_id, incident.dedicated_grid_id = (
        rows[0]["id"], rows[0]["grid_code"], rows[0]["dedicated_code"])
    return Outcome(incident, created=True)


# The Incident fields intake_insert.sql takes by name.
INSERTED = ("client_id", "category", "subcategory", "severity", "source", "risk_level", "description",
            "reporter_name", "reporter_phone", "parties", "reported_at", "accept_due_at", "due_at", "reported_by",
            "intake_digest", "limit_note", "county_code")


def _replay(access: Access, report: Report, pk: int | None = None, digest: str | None = None,
            grid: str | None = None) -> Outcome:
    """The incident a client id already created, if this is the same report, in the caller's area."""
    if pk is None:
        row = Incident.objects.filter(client_id=report.client_id).values("id", "intake_digest", "grid_id").first()
        if row is None:  # the conflicting row is gone (deleted in between): nothing sensible to answer
            raise Conflict(f"client_id {report.client_id} is being used by another request; retry", field="client_id")
        pk, digest, grid = row["id"], row["intake_digest"], row["grid_id"]
    in_scope = not access.scope or (grid or "").startswith(access.scope)
    if digest != report.digest() or not in_scope:
        raise Conflict(f"client_id {report.client_id} was already used for a different report; "
                       "a retry must resend the same report, a new report needs a new client id", field="client_id")
    return Outcome(for_response().get(pk=pk), created=False)


def _context(access: Access, report: Report, now: dt.datetime) -> dict[str, Any]:
    dup_m = float(settings.GRIDMAP_DUPLICATE_RADIUS_M)
    lon, lat = report.lonlat or (None, None)
    # Degrees at the point's latitude (for an address code, at the widest latitude: see ADDRESS_LATITUDE).
    snap_dx, snap_dy = _degrees(BUILDING_SNAP_M, lat if lat is not None else ADDRESS_LATITUDE)
    dup_dx, dup_dy = _degrees(dup_m, lat if lat is not None else ADDRESS_LATITUDE)
    params = {
        "client_id": report.client_id, "address_code": report.address_code, "lon": lon, "lat": lat,
        "today": timezone.localdate(now), "snap_m": BUILDING_SNAP_M, "snap_dx": snap_dx, "snap_dy": snap_dy,
        "category": report.category, "severity": report.severity,
        "dup_since": now - dt.timedelta(days=float(settings.GRIDMAP_DUPLICATE_DAYS)),
        "dup_m": dup_m, "dup_dx": dup_dx, "dup_dy": dup_dy, "user_id": access.user_id,
    }
    return sql.run("layers.incidents", "intake_context", params)[0]


def _degrees(metres: float, lat: float) -> tuple[float, float]:
    """A distance in degrees of longitude and latitude at `lat`, 1% generous (a prefilter only)."""
    cos = max(math.cos(math.radians(lat)), 0.01)
    return metres * 1.01 / (METRES_PER_DEGREE_LON_EQUATOR * cos), metres * 1.01 / METRES_PER_DEGREE_LAT
