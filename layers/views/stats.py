"""/api/stats: workload figures for a unit or a worker, and the weekly ranking of grid workers."""

from __future__ import annotations

import re

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from geo.access import require
from geo.errors import InvalidInput, NotFound
from layers import ranking, stats
from layers.filters import CODE_RE
from layers.http import answer

# Employee numbers are printable text without spaces (grids.Worker.employee_no, at most 32 characters).
EMPLOYEE_NO = re.compile(r"[^\x00-\x20\x7f]{1,32}")


@require_GET
def unit(request: HttpRequest, code: str) -> JsonResponse:
    access = require(request, "view")
    return answer(stats.unit_figures(access, code, request.GET))


@require_GET
def worker(request: HttpRequest, employee_no: str) -> JsonResponse:
    access = require(request, "view")
    if not EMPLOYEE_NO.fullmatch(employee_no):  # a NUL or control character would reach PostgreSQL (500)
        raise NotFound(f"no worker {employee_no!r}")
    return answer(stats.worker_figures(access, employee_no, request.GET))


@require_GET
def workers(request: HttpRequest) -> JsonResponse:
    access = require(request, "view")
    area = request.GET.get("area")
    if area and not CODE_RE.fullmatch(area):
        raise InvalidInput(f"area: {area!r} is not an area code (6, 9, 12, 15 or 16 digits)", field="area")
    return answer(ranking.ranking(access, area, request.GET.get("week")))
