"""/api/people and /api/enterprises: one record, and the records of a unit page by page, all scoped.

People: only for users with the personal-data right (403 otherwise, saying where the counts are), each
answer audited. Enterprises: for every user who may view, the person behind one only for those with the
right (audited). Bad parameters are 400s naming the field.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from geo.access import Access, require
from geo.errors import InvalidInput, NotFound
from geo.http import answer
from grids.models import get_area
from layers.incidents import inputs
from layers.incidents.filters import CODE_RE
from people import represent
from people.models import Enterprise, Person

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


def openapi_paths() -> dict:
    """What /api/openapi.json states of these routes (geo.openapi.provide_paths)."""
    from geo.openapi import AREA_CODE, _operation, _path, _query

    listing = [_query("area", AREA_CODE, "the unit (default: the caller's scope)"),
               _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size (default 100)"),
               _query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}, "records to skip")]
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
        "/api/enterprises": {"get": _operation(
            "enterprises", "the enterprises and organisations of a unit, page by page (the legal "
                           "representative only with the personal-data right, audited)",
            ok("a page of enterprises"), parameters=listing, errors=("400", "403", "404"), tags=tags)},
        "/api/enterprises/{id}": {"get": _operation(
            "enterprise", "one enterprise or organisation", ok("the enterprise"), parameters=[record_id],
            errors=("403", "404"), tags=tags)},
    }
