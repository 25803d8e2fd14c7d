"""/api/stats: workload figures for a unit or a worker, and the weekly ranking of grid workers."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from geo.access import require
from geo.http import answer
from layers.figures import ranking, stats


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
    access = require(request, "view")
    return answer(stats.worker_figures(access, employee_no, request.GET))


@require_GET
def workers(request: HttpRequest) -> JsonResponse:
    access = require(request, "view")
    return answer(ranking.ranking(access, request.GET.get("area"), request.GET.get("week")))
