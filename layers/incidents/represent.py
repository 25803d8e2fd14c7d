"""Incidents and their events as JSON: one shape for the API, the intake answer and its replays.

Times are ISO 8601 in China Standard Time (the centers' clock). Personal fields (PERSONAL_FIELDS) are
present only for callers with the personal-data right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from geo.access import Access
from geo.access import audit_personal_read as access_audit_personal_read
from layers.incidents.categories import service_code
from layers.models import PERSONAL_FIELDS, Incident, IncidentEvent

STEP_TIMES = ("reported_at", "accepted_at", "dispatched_at", "started_at", "resolved_at", "verified_at",
              "closed_at", "returned_at", "escalated_at", "extended_at", "accept_due_at", "due_at")


def iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def for_response():
    """The queryset whose rows `incident_feature` reads without further queries."""
    return Incident.objects.select_related("assignee", "building")


def incident_feature(incident: Incident, access: Access, now: dt.datetime | None = None) -> dict[str, Any]:
    """A GeoJSON Feature (RFC 7946) whose properties are the incident's fields and loop times."""
    now = now or timezone.now()
    assignee = incident.assignee
    props: dict[str, Any] = {
        "id": incident.pk,
        "client_id": incident.client_id,
        "category": incident.category,
        "subcategory": incident.subcategory,
        "service_code": service_code(incident.category, incident.subcategory),
        "severity": incident.severity,
        "source": incident.source,
        "risk_level": incident.risk_level,
        "status": incident.status,
        "description": incident.description,
        "grid": incident.grid_id,
        "dedicated_grid": incident.dedicated_grid_id,
        "building": incident.building.address_code if incident.building else None,
        "assignee": {"employee_no": assignee.employee_no, "name": assignee.name} if assignee else None,
        "department": incident.department,
        "duplicate_of": incident.duplicate_of_id,
        "overdue": incident.is_overdue(now),
        "accept_overdue": incident.is_accept_overdue(now),
        "due_soon": incident.is_due_soon(now),
        # Set when a time limit was counted other than the table says (a year the holiday calendar lacks).
        "time_limit_note": incident.limit_note or None,
        "satisfaction": incident.satisfaction,
        "reported_by": incident.reported_by,
    }
    props.update({name: iso(getattr(incident, name)) for name in STEP_TIMES})
    if access.personal_data:
        props.update({name: getattr(incident, name) for name in PERSONAL_FIELDS["incident"]})
    location = incident.location
    return {"type": "Feature", "id": incident.pk,
            "geometry": {"type": "Point", "coordinates": [location.x, location.y]}, "properties": props}


def event_dict(event: IncidentEvent) -> dict[str, Any]:
    return {"id": event.pk, "action": event.action, "from": event.from_status or None,
            "to": event.to_status or None, "at": iso(event.at), "actor": event.actor, "note": event.note}


def audit_personal_read(access: Access, incidents: Iterable[Incident]) -> None:
    """One audit row for an answer that shows personal fields (PERSONAL_FIELDS) of these incidents: who
    read whose data, and when. Callers without the personal-data right never get the fields, so nothing
    is recorded for them; an intake's or a step's answer is recorded by its own audit row."""
    ids = [incident.pk for incident in incidents]
    access_audit_personal_read(access, "incidents", ids, PERSONAL_FIELDS["incident"],
                               target=",".join(map(str, ids[:20])))
