"""The grids API and the planner page. Thin: check access, parse, call one domain function, answer JSON.

Every view starts with `require(request, ...)` and passes the caller's scope down: an area outside
it is a 404, and lists and lookups leave it out.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from geo import ratelimit
from geo.access import require
from geo.errors import InvalidInput
from geo.geometry import point_from_lonlat
from grids import areas, coverage, planner, redraw
from grids.codes import check_digits
from grids.http import api_post, json_body, json_response, parse_date, parse_level, parse_number
from grids.lookup import locate


def _int(value: str | None, field: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(f"{field} must be an integer, got {value!r}", field=field) from exc


@require_GET
def locate_view(request: HttpRequest) -> JsonResponse:
    """GET /api/locate?lon=&lat=[&at=YYYY-MM-DD]: the chain of areas containing the point."""
    access = require(request, "view")
    lon, lat = request.GET.get("lon"), request.GET.get("lat")
    if lon in (None, "") or lat in (None, ""):
        raise InvalidInput("lon and lat are required, e.g. /api/locate?lon=112.45&lat=35.05", field="location")
    point = point_from_lonlat(lon, lat)
    at = parse_date(request.GET.get("at"), "at")
    chain = locate(point, at, access.scope)
    return json_response({"lon": point.x, "lat": point.y, "at": str(at) if at else None, **chain})


@require_GET
def area_list(request: HttpRequest) -> JsonResponse:
    """GET /api/areas?level=&parent=&at=&limit=&offset=: areas in the caller's scope, without geometry."""
    access = require(request, "view")
    parent = request.GET.get("parent") or None
    if parent:
        check_digits(parent, "parent")
    body = areas.listing(access.scope, level=parse_level(request.GET.get("level")), parent=parent,
                         at=parse_date(request.GET.get("at"), "at"),
                         limit=_int(request.GET.get("limit"), "limit", 1000),
                         offset=_int(request.GET.get("offset"), "offset", 0))
    return json_response(body)


@require_GET
def area_detail(request: HttpRequest, code: str) -> JsonResponse:
    """GET /api/areas/<code>[?at=]: parent, children, boundary (GeoJSON) and counts."""
    access = require(request, "view")
    check_digits(code)
    body = areas.detail(code, access.scope, at=parse_date(request.GET.get("at"), "at"))
    body.update(areas.detail_sections(access, body["code"]))
    return json_response(body)


@require_GET
def area_check(request: HttpRequest, code: str) -> JsonResponse:
    """GET /api/areas/<code>/check[?sliver_m2=]: coverage problems, each with geometry and m²."""
    access = require(request, "view")
    check_digits(code)
    area = areas.get_area(code, access.scope)
    # A county's check takes seconds of PostGIS on every core: the "bulk" budget keeps a looping client
    # from starving tiles and intake (a planner checks a few areas a minute).
    ratelimit.check(access, "bulk", ip=request.META.get("REMOTE_ADDR"))
    sliver = parse_number(request.GET.get("sliver_m2", coverage.DEFAULT_SLIVER_M2), "sliver_m2")
    return json_response(coverage.check(area, sliver_m2=sliver).as_dict())


@api_post
def redraw_preview(request: HttpRequest, code: str) -> JsonResponse:
    """POST /api/areas/<code>/redraw/preview: what the new boundary would change; nothing is kept."""
    access = require(request, "redraw")
    check_digits(code)
    return json_response(redraw.redraw(code, json_body(request), access, commit=False))


@api_post
def redraw_commit(request: HttpRequest, code: str) -> JsonResponse:
    """POST /api/areas/<code>/redraw/commit: the same, kept; 409 if it would leave a gap or overlap."""
    access = require(request, "redraw")
    check_digits(code)
    return json_response(redraw.redraw(code, json_body(request), access, commit=True))


@api_post
def split_view(request: HttpRequest, code: str) -> JsonResponse:
    """POST /api/areas/<code>/split {"line", "reason"[, "names", "preview"]}."""
    access = require(request, "redraw")
    check_digits(code)
    data = json_body(request)
    return json_response(redraw.split(code, data, access, commit=not redraw.is_preview(data)))


@api_post
def merge_view(request: HttpRequest) -> JsonResponse:
    """POST /api/areas/merge {"codes", "reason"[, "name", "preview"]}."""
    access = require(request, "redraw")
    data = json_body(request)
    return json_response(redraw.merge(data, access, commit=not redraw.is_preview(data)))


@login_required
@require_GET
def planner_page(request: HttpRequest, code: str) -> HttpResponse:
    """/planner/<code>/: draw a grid's new boundary, preview it on the map and in numbers, commit."""
    access = require(request, "redraw")
    check_digits(code)
    return HttpResponse(planner.page(code, access, request), content_type="text/html; charset=utf-8")
