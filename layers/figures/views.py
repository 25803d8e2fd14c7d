"""/api/stats: workload figures for a unit or a worker, and the weekly ranking of grid workers."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo.access import require
from geo.errors import InvalidInput
from geo.http import answer
from layers.figures import ranking, stats
from layers.incidents.filters import CODE_RE


@require_GET
def unit(request: HttpRequest, code: str) -> JsonResponse:
    access = require(request, "view")
    return answer(stats.unit_figures(access, code, request.GET))


@require_GET
def departments(request: HttpRequest) -> JsonResponse:
    access = require(request, "view")
    return answer(stats.department_figures(access, request.GET))


@require_GET
def worker(request: HttpRequest, employee_no: str) -> JsonResponse:
    access = require(request, "view")  # a NUL in the employee number is refused by geo.screen first
    return answer(stats.worker_figures(access, employee_no, request.GET))


@require_GET
def workers(request: HttpRequest) -> JsonResponse:
    access = require(request, "view")
    area = request.GET.get("area")
    if area and not CODE_RE.fullmatch(area):  # the documented pattern (/api/openapi.json), not a 404 lookup
        raise InvalidInput(_("area: expected an area code (2, 4, 6, 9, 12, 15 or 16 digits), got {area!r}").format(
            area=area), field="area")
    return answer(ranking.ranking(access, area, request.GET.get("week")))
