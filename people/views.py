"""/api/people and /api/enterprises: one record, and the records of a unit page by page, all scoped.

People: only for users with the personal-data right (403 otherwise, saying where the counts are), each
answer audited. Enterprises: for every user who may view, the person behind one only for those with the
right (audited). Bad parameters are 400s naming the field.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods

from geo import http
from geo.access import Access, require
from geo.errors import InvalidInput, NotFound
from geo.http import answer
from grids.models import get_area
from layers.incidents import inputs
from layers.incidents.filters import CODE_RE
from people import followups as follow_ups
from people import represent
from people.models import Enterprise, FollowUp, KeyGroup, Person

MAX_LIMIT = 500


def _page(access: Access, params) -> tuple[str | None, int, int]:
    """(area code to list, limit, offset): the area defaults to the caller's scope and must lie in it."""
    area = params.get("area")
    if area:
        if not CODE_RE.fullmatch(area):
            raise InvalidInput(f"area: expected an area code (2, 4, 6, 9, 12, 15 or 16 digits), got {area!r}",
                               field="area")
        area = get_area(area, access.scope).code
    else:
        area = access.scope
    limit = inputs.integer(params, "limit", low=1, high=MAX_LIMIT) or 100
    offset = inputs.integer(params, "offset", low=0, high=10**9) or 0
    return area, limit, offset


@require_GET
def people(request: HttpRequest) -> JsonResponse:
    access = require(request, "view")
    represent.require_personal(access)
    area, limit, offset = _page(access, request.GET)
    found = Person.objects.within(area)  # the area lies inside the caller's scope (_page)
    total = found.count()
    page = list(found.order_by("id")[offset:offset + limit])
    represent.audit_read(access, "person", [p.pk for p in page], request)
    return answer({"area": area, "total": total, "limit": limit, "offset": offset,
                   "people": represent.people_json(page)})


@require_GET
def person(request: HttpRequest, pk: int) -> JsonResponse:
    access = require(request, "view")
    found = represent.visible_person(access, pk)
    represent.audit_read(access, "person", [found.pk], request)
    return answer(represent.people_json([found])[0])


@require_GET
def enterprises(request: HttpRequest) -> JsonResponse:
    access = require(request, "view")
    area, limit, offset = _page(access, request.GET)
    found = Enterprise.objects.within(area).select_related("building")
    total = found.count()
    page = list(found.order_by("credit_code")[offset:offset + limit])
    represent.audit_read(access, "enterprise", [e.pk for e in page], request)
    return answer({"area": area, "total": total, "limit": limit, "offset": offset,
                   "enterprises": [represent.enterprise_json(e, access) for e in page]})


@require_GET
def enterprise(request: HttpRequest, pk: int) -> JsonResponse:
    access = require(request, "view")
    found = Enterprise.objects.within(access.scope).select_related("building").filter(pk=pk).first()
    if found is None:
        raise NotFound(f"no enterprise {pk}")
    represent.audit_read(access, "enterprise", [found.pk], request)
    return answer(represent.enterprise_json(found, access))


FOLLOW_UP_BODY_BYTES = 16 * 1024  # a few fields and a note of at most 2,000 characters


@require_http_methods(["GET", "POST"])
def followups(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: the person's follow-ups (personal-data right, audited). POST: record one (the responsible
    worker, or a user with the right; people/followups.py)."""
    access = require(request, "view")
    if request.method == "GET":
        return answer(follow_ups.listing(access, pk, request.GET))
    http.check_length(request.META.get("CONTENT_LENGTH") or "0", FOLLOW_UP_BODY_BYTES, "a follow-up")
    if not http.is_json(request.content_type):
        raise InvalidInput("body: send the follow-up as JSON (Content-Type: application/json)", field="body")
    made, created = follow_ups.record(access, pk, http.parse_json(request.body, max_bytes=FOLLOW_UP_BODY_BYTES,
                                                                   what="a follow-up"))
    return answer(follow_ups.as_json(made, note=access.personal_data), status=201,
                  headers={} if created else {"Idempotent-Replayed": "true"})


def openapi_paths() -> dict:
    """What /api/openapi.json states of these routes (geo.openapi.provide_paths)."""
    from geo.openapi import AREA_CODE, _operation, _path, _query

    listing = [_query("area", AREA_CODE, "the unit (default: the caller's scope)"),
               _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size (default 100)"),
               _query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}, "records to skip")]
    FOLLOW_UP_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
        "group": {"type": "string", "enum": list(KeyGroup.values),
                  "description": "the key group followed up (needed when the person is in more than one)"},
        "at": {"type": "string", "format": "date-time", "description": "when it was done (default: now)"},
        "kind": {"type": "string", "enum": list(FollowUp.Kind.values)},
        "outcome": {"type": "string", "enum": list(FollowUp.Outcome.values)},
        "note": {"type": "string", "maxLength": follow_ups.NOTE_MAX, "description": "personal data"},
        "client_id": {"type": "string", "pattern": "^[A-Za-z0-9._:@-]{1,64}$"}}}
    record_id = _path("id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "record id")
    tags = ("people",)

    def ok(what: str) -> dict:
        return {"description": what, "content": {"application/json": {"schema": {"type": "object"}}}}

    return {
        "/api/people": {"get": _operation(
            "people", "the people living in a unit, page by page (personal-data right; every answer audited)",
            ok("a page of people"), parameters=listing, errors=("400", "403", "404"), tags=tags)},
        "/api/people/{id}": {"get": _operation(
            "person", "one person: identity, residences (moves kept), key groups and follow-ups "
                      "(personal-data right; audited)", ok("the person"), parameters=[record_id],
            errors=("403", "404"), tags=tags)},
        "/api/people/{id}/followups": {
            "get": _operation(
                "followups", "a key person's follow-ups, newest first, with their notes (personal-data right; "
                             "every answer audited)", ok("the follow-ups"),
                parameters=[record_id, _query("limit", {"type": "integer", "minimum": 1,
                                                        "maximum": follow_ups.LIST_MAX}, "at most (default 100)")],
                errors=("400", "403", "404"), tags=tags),
            "post": _operation(
                "record_followup", "record a follow-up of a key person: the tag's responsible worker, or a user "
                                   "with the personal-data right, the person inside the caller's area (audited). "
                                   "`at` is the phone's time (an offline phone sends it later): refused in the "
                                   "future, before the tag began or more than GRIDMAP_FOLLOWUP_MAX_AGE_DAYS ago",
                {"description": "the follow-up stored (or, with Idempotent-Replayed, the one stored under the "
                                "same client_id)", "content": {"application/json": {"schema": {"type": "object"}}}},
                parameters=[record_id], errors=("400", "403", "404", "409", "413"), tags=tags, ok_status="201",
                body={"application/json": {"schema": FOLLOW_UP_SCHEMA}})},
        "/api/enterprises": {"get": _operation(
            "enterprises", "the enterprises and organisations of a unit, page by page (the legal "
                           "representative only with the personal-data right, audited)",
            ok("a page of enterprises"), parameters=listing, errors=("400", "403", "404"), tags=tags)},
        "/api/enterprises/{id}": {"get": _operation(
            "enterprise", "one enterprise or organisation", ok("the enterprise"), parameters=[record_id],
            errors=("403", "404"), tags=tags)},
    }
