"""Open311 GeoReport v2 mapped onto Gridmap's incidents, for the 12345 hotline and third-party systems.

Spec: https://wiki.open311.org/GeoReport_v2 . The mapping:

| GeoReport            | Gridmap                                                                  |
|----------------------|--------------------------------------------------------------------------|
| service_code         | category, or category.subcategory (services.json lists them)             |
| service_request_id   | incident id                                                              |
| status open/closed   | closed = closed; every other loop status is open                         |
| status_notes         | the note of the latest loop step that had one                            |
| agency_responsible   | the department it was dispatched to, else the grid's name                |
| expected_datetime    | due_at (the time limit)                                                  |
| address_id           | the building's unified address code (also accepted on POST)              |
| lat / long           | the location                                                             |

POST creates through the same intake as /api/incidents (placement, time limits, duplicate links).
Extensions, all optional: client_id (idempotent retries), severity, source (default 12345 hotline).
Attributes (GeoReport's `attribute[code]=value`, listed by each service's definition,
services/<code>.json): `attribute[person]` (a person's id: the personal-data right needed) and
`attribute[enterprise]` (an enterprise's id or unified social credit code), the person or enterprise
the matter concerns, checked and kept as intake's `person` and `enterprise` are (layers.incidents.links).
address_string alone is refused: Gridmap has no geocoder (intranets, no internet). The reporter's
name and phone are kept as personal fields; email and media_url are not stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from geo.access import Access
from geo.errors import InvalidInput, NotFound
from layers.desk.scope import visible
from layers.incidents import categories, inputs, links
from layers.incidents.intake import Outcome, Report, intake, parse_report
from layers.incidents.represent import iso
from layers.models import Incident, IncidentEvent

DEFAULT_DAYS = 90  # the spec's default window when no dates are given
MAX_RESULTS = 1000  # the spec's suggested cap on one answer
UPDATE_TIMES = ("reported_at", "accepted_at", "dispatched_at", "started_at", "resolved_at", "verified_at",
                "closed_at", "returned_at", "escalated_at", "extended_at")


# The GeoReport attributes every service takes (when an app keeps people and enterprises: links.LINKERS).
ATTRIBUTES = (
    ("person", "number", "the id of the person the matter concerns (needs the personal-data right)"),
    ("enterprise", "string", "the enterprise or organisation concerned: its id or unified social credit code"),
)


def service_list() -> list[dict[str, Any]]:
    return [{"service_code": s["code"], "service_name": s["name"], "description": s["description"],
             "metadata": bool(links.LINKERS), "type": "realtime", "keywords": s["group"], "group": s["group"]}
            for s in categories.services()]


def service_definition(code: str) -> dict[str, Any]:
    """GET services/<code>.json: the attributes a request of the service may carry (GeoReport v2)."""
    if not any(s["code"] == code for s in categories.services()):
        raise NotFound(f"service_code: {code!r} is not a service; see services.json", field="service_code")
    attributes = [{"variable": True, "code": name, "datatype": kind, "required": False, "datatype_description": text,
                   "order": i, "description": text} for i, (name, kind, text) in enumerate(ATTRIBUTES, start=1)]
    return {"service_code": code, "attributes": attributes if links.LINKERS else []}


def attributes(fields: Mapping[str, Any]) -> dict[str, Any]:
    """{name: value} of the request's attributes: `attribute[name]` form fields, or a JSON body's
    `attribute` object. An attribute the services do not define is refused by name."""
    found: dict[str, Any] = {}
    nested = fields.get("attribute")
    if nested not in (None, ""):
        if not isinstance(nested, Mapping):
            raise InvalidInput("attribute: expected an object of attribute codes and values", field="attribute")
        found.update(nested)
    for key, value in fields.items():
        if isinstance(key, str) and key.startswith("attribute[") and key.endswith("]"):
            found[key[len("attribute["):-1]] = value
    known = {name for name, _kind, _text in ATTRIBUTES}
    for name in found:
        if name not in known:
            raise InvalidInput(f"attribute[{name}]: not an attribute of the services (attributes: "
                               f"{', '.join(sorted(known))})", field=f"attribute[{name}]")
    return found


def report_from_open311(fields: Mapping[str, Any]) -> Report:
    """A GeoReport POST as a Gridmap report (then validated by the same rules as /api/incidents)."""
    code = inputs.text(fields, "service_code", max_length=80, required=True)
    category, subcategory = categories.split_service_code(code)
    if category not in Incident.Category.values:
        raise InvalidInput(f"service_code: {code!r} is not a service; see services.json", field="service_code")
    has_point = fields.get("lat") not in (None, "") or fields.get("long") not in (None, "")
    address_id = inputs.text(fields, "address_id", max_length=32)
    if not has_point and not address_id and fields.get("address_string"):
        raise InvalidInput("address_string cannot be located (no geocoder); send lat and long, or address_id "
                           "(the 17-digit unified address code)", field="address_string")
    name = _full_name(inputs.text(fields, "first_name", max_length=25), inputs.text(fields, "last_name", max_length=25))
    report = {
        "category": category, "subcategory": subcategory,
        "severity": fields.get("severity"), "source": fields.get("source") or Incident.Source.HOTLINE,
        "description": fields.get("description"), "reporter_name": name or None,
        "reporter_phone": fields.get("phone"), "client_id": fields.get("client_id"),
    }
    if has_point:
        report.update(lon=_number(fields.get("long"), "long"), lat=_number(fields.get("lat"), "lat"))
    if address_id:
        report["address_code"] = address_id
    report.update(attributes(fields))
    return parse_report(report)


def _full_name(first: str, last: str) -> str:
    """张 + 三 → 张三 (family name first, no space); Jane + Doe → Jane Doe."""
    if all(_is_cjk(part) for part in (first, last) if part):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _is_cjk(text: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" or ch == "·" for ch in text)


def _number(value: Any, name: str) -> float:
    if value in (None, ""):
        raise InvalidInput(f"{name} is required with {'lat' if name == 'long' else 'long'}", field=name)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name}: expected a number, got {value!r}", field=name) from exc


def create(access: Access, fields: Mapping[str, Any]) -> tuple[Outcome, list[dict[str, Any]]]:
    outcome = intake(access, report_from_open311(fields))
    return outcome, [{"service_request_id": str(outcome.incident.pk), "service_notice": "", "account_id": None}]


def search(access: Access, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """GET requests.json: by ids, or by service, status and date window (default the last 90 days)."""
    incidents = _with_notes(visible(access, Incident.objects))
    ids = params.get("service_request_id")
    if ids:
        try:
            wanted = [int(part) for part in ids.split(",") if part.strip()]
        except ValueError as exc:
            raise InvalidInput(f"service_request_id: expected ids separated by commas, got {ids!r}",
                               field="service_request_id") from exc
        return [request_dict(i) for i in incidents.filter(pk__in=wanted).order_by("-reported_at")[:MAX_RESULTS]]
    code = params.get("service_code")
    if code:
        category, subcategory = categories.split_service_code(code)
        incidents = incidents.filter(category=category, **({"subcategory": subcategory} if subcategory else {}))
    status = params.get("status")
    if status:
        wanted_statuses = {s.strip() for s in status.split(",")}
        if not wanted_statuses <= {"open", "closed"}:
            raise InvalidInput(f"status: use open, closed or both, got {status!r}", field="status")
        if wanted_statuses == {"open"}:
            incidents = incidents.exclude(status=Incident.Status.CLOSED)
        elif wanted_statuses == {"closed"}:
            incidents = incidents.filter(status=Incident.Status.CLOSED)
    end = inputs.moment(params.get("end_date"), "end_date") or timezone.now()
    start = inputs.moment(params.get("start_date"), "start_date") or end - dt.timedelta(days=DEFAULT_DAYS)
    incidents = incidents.filter(reported_at__gte=start, reported_at__lte=end)
    return [request_dict(i) for i in incidents.order_by("-reported_at")[:MAX_RESULTS]]


def one(access: Access, incident_id: int) -> list[dict[str, Any]]:
    incident = _with_notes(visible(access, Incident.objects)).filter(pk=incident_id).first()
    if incident is None:
        raise NotFound(f"no service request {incident_id}")
    return [request_dict(incident)]


def _with_notes(incidents):
    latest_note = (IncidentEvent.objects.filter(incident=OuterRef("pk")).exclude(note="")
                   .exclude(action="comment").order_by("-at", "-id").values("note")[:1])
    return incidents.select_related("building", "grid").annotate(status_notes=Subquery(latest_note))


def request_dict(incident: Incident) -> dict[str, Any]:
    building = incident.building
    updated = max(t for t in (getattr(incident, name) for name in UPDATE_TIMES) if t)
    address = " ".join(p for p in (building.street, building.door_plate, building.name) if p) if building else ""
    return {
        "service_request_id": str(incident.pk),
        "status": "closed" if incident.status == Incident.Status.CLOSED else "open",
        "status_notes": getattr(incident, "status_notes", None) or "",
        "service_name": incident.get_category_display() if not incident.subcategory
        else categories.SUBCATEGORIES.get(incident.category, {}).get(incident.subcategory, incident.subcategory),
        "service_code": categories.service_code(incident.category, incident.subcategory),
        "description": incident.description,
        "agency_responsible": incident.department or (incident.grid.name if incident.grid else ""),
        "service_notice": "",
        "requested_datetime": iso(incident.reported_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(incident.due_at),
        "address": address,
        "address_id": building.address_code if building else "",
        "zipcode": "",
        "lat": incident.location.y,
        "long": incident.location.x,
        "media_url": "",
    }
