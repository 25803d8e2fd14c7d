"""/open311/v2/: GeoReport v2 (JSON) over the same access layer and intake as /api/incidents.

Errors use the spec's shape, a list of {"code", "description"}, with the HTTP status of the domain
error. The api_key parameter is accepted as an API token (geo.access.token_from_request).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods

from geo.access import require
from geo.errors import GridmapError, InvalidInput
from layers.incidents import open311
from layers.incidents.http import answer, read_body


def georeport(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open311's error shape, and JSON only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> HttpResponse:
        try:
            if fmt != "json":
                raise InvalidInput(f"format {fmt!r} is not served; use .json", field="format")
            return view(request, *args, **kwargs)
        except GridmapError as exc:
            return answer([{"code": exc.status, "description": exc.message}], status=exc.status)

    return wrapped


@require_GET
@georeport
def services(request: HttpRequest) -> JsonResponse:
    require(request, "view")
    return answer(open311.service_list())


@require_GET
@georeport
def service_definition(request: HttpRequest, code: str) -> JsonResponse:
    require(request, "view")
    return answer(open311.service_definition(code))


@require_http_methods(["GET", "POST"])
@georeport
def requests(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        access = require(request, "report")
        outcome, body = open311.create(access, read_body(request))
        return answer(body, status=201 if outcome.created else 200)
    access = require(request, "view")
    return answer(open311.search(access, request.GET))


@require_GET
@georeport
def request_one(request: HttpRequest, pk: int) -> JsonResponse:
    access = require(request, "view")
    return answer(open311.one(access, pk))
