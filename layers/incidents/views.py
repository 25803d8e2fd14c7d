"""/api/incidents: intake, the list, one incident, its loop steps, events and comments."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from geo.access import Access, require
from layers.desk import steps as desk
from layers.incidents import links, loop
from layers.incidents.http import answer, read_body
from layers.incidents.intake import default_source, intake, parse_report
from layers.incidents.listing import event_log, list_incidents, visible_incident
from layers.incidents.represent import audit_personal_read, event_dict, for_response, incident_feature

GEOJSON = "application/geo+json"


@require_http_methods(["GET", "POST"])
def incidents(request: HttpRequest) -> JsonResponse:
    """GET: the list (FeatureCollection). POST: intake; a replay of a client id gets the first answer."""
    if request.method == "GET":
        access = require(request, "view")
        return answer(list_incidents(access, request.GET), content_type=GEOJSON)
    access = require(request, "report")
    feature, headers = intake_answer(access, read_body(request))
    return answer(feature, status=201, content_type=GEOJSON, headers=headers)


def intake_answer(access: Access, fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The 201 answer to a report (the Feature and its headers), for this view and the fast path
    (layers.incidents.fastpath): a replay of a client id gets the first answer, marked Idempotent-Replayed."""
    report = parse_report(fields, default_source=default_source(access))
    outcome = intake(access, report)
    headers = {"Location": f"/api/incidents/{outcome.incident.pk}"}
    if not outcome.created:
        headers["Idempotent-Replayed"] = "true"
    feature = incident_feature(outcome.incident, access)
    # A report naming nobody has no links (a replay repeats the report): intake stays two round trips.
    return (_with_links(feature, access) if report.links else feature), headers


def _with_links(feature: dict[str, Any], access: Access) -> dict[str, Any]:
    """The one incident's answer (intake, GET, a loop step) with the person or enterprise it names, as the
    app that keeps them describes them for this caller (layers.incidents.links; the list does the same)."""
    return links.add_to([feature], access)[0]


@require_GET
def incident(request: HttpRequest, pk: int) -> JsonResponse:
    access = require(request, "view")
    found = visible_incident(access, pk)
    audit_personal_read(access, [found])
    return answer(_with_links(incident_feature(found, access), access), content_type=GEOJSON)


@require_POST
def action(request: HttpRequest, pk: int, name: str) -> JsonResponse:
    """POST /api/incidents/<id>/<action>: one step of the closed loop (see layers/incidents/loop.py), or
    one of the desk's actions: supervise, remind, mediate, followup (layers/desk/steps.py)."""
    access = require(request, "transition")
    if name in desk.ACTIONS:
        desk.act(access, pk, name, read_body(request))
    else:
        loop.transition(access, pk, name, read_body(request))
    return answer(_with_links(incident_feature(for_response().get(pk=pk), access), access), content_type=GEOJSON)


@require_http_methods(["GET", "POST"])
def events(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: the incident's event log (every step and comment). POST: a comment or update (note)."""
    access = require(request, "view")
    if request.method == "POST":
        return answer(event_dict(loop.comment(access, pk, read_body(request))), status=201)
    return answer({"incident": pk, "events": [event_dict(e) for e in event_log(access, pk)]})
