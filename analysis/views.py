"""/api/analysis/…: the safety index, its ranking and map, the early warnings and the three-zero units.

Every route: the caller needs `view`; a department account is refused (403), since the index, the
warnings and the three-zero verdicts count every matter of a unit, not only the ones dispatched to the
department; the unit must lie inside the caller's scope (404 otherwise, as everywhere); every read is
written to the audit trail (action analysis.*), and a bad parameter is a 400 naming it.
"""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from analysis import index, threezero, warnings
from geo.access import Access, audit, refuse_departments, require
from geo.errors import InvalidInput
from geo.http import answer
from geo.models import AuditRecord
from grids.models import Area

THREEZERO_COLOURS = {True: "#1b5e20", False: "#9e9e9e"}
BAND_COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", None: "#9e9e9e"}


def _access(request: HttpRequest) -> Access:
    return refuse_departments(require(request, "view"),
                              _("a department account sees its dispatched matters only; the analysis counts "
                                "every matter of a unit"))


def _audit(request: HttpRequest, access: Access, code: str, what: str, rows: int | None = None, **detail) -> None:
    """One audit record per analysis read: who read what of which unit, with which parameters."""
    audit(access, AuditRecord.Action.ANALYSIS_READ, target=code, detail={"what": what, **detail}, rows=rows,
          request=request)


def _period(request: HttpRequest) -> str:
    period = request.GET.get("period") or f"{timezone.localdate():%Y-%m}"
    index.months_of(period)  # 400 naming `period` if malformed or not begun
    return period


def _flag(request: HttpRequest, name: str) -> bool:
    value = request.GET.get(name, "")
    if value not in ("", "0", "1", "true", "false"):
        raise InvalidInput(_("{name}: expected 0 or 1").format(name=name), field=name)
    return value in ("1", "true")


def _features(codes: dict[str, dict]) -> list[dict]:
    """GeoJSON features of current areas (boundaries in 4326) with the given properties."""
    out = []
    for area in Area.objects.current().filter(code__in=list(codes)).order_by("code"):
        out.append({"type": "Feature", "id": area.code, "geometry": json.loads(area.boundary.json),
                    "properties": codes[area.code]})
    return out


@require_GET
def index_unit(request: HttpRequest, code: str) -> JsonResponse:
    """GET /api/analysis/index/<code>?period=2026-07|2026-Q3|2026[&children=1]: the unit's score with its
    breakdown, and with children=1 its child units ranked."""
    access = _access(request)
    period = _period(request)
    children = _flag(request, "children")
    score = index.period_score(code, period, scope=access.scope)
    body = {"index": score.as_dict()}
    if children and score.level < 3:
        body["children"] = [s.as_dict() for s in index.ranking(code, period, scope=access.scope)]
    _audit(request, access, code, "index", period=period, children=children)
    return answer(body)


@require_GET
def index_trend(request: HttpRequest, code: str) -> JsonResponse:
    """GET /api/analysis/index/<code>/trend?since=YYYY-MM&until=YYYY-MM: one score per month (default:
    the last 12 months)."""
    access = _access(request)
    this = timezone.localdate().replace(day=1)
    until = index.parse_month(request.GET["until"], "until") if request.GET.get("until") else this
    if request.GET.get("since"):
        since = index.parse_month(request.GET["since"], "since")
    else:  # the 12 months ending with `until`
        n = until.year * 12 + until.month - 12
        since = dt.date(n // 12, n % 12 + 1, 1)
    months = index.month_range(since, until)
    scores = index.scores(code, months, scope=access.scope)
    _audit(request, access, code, "trend", since=f"{since:%Y-%m}", until=f"{until:%Y-%m}")
    return answer({"code": code, "months": [s.as_dict() for s in scores]})


@require_GET
def index_map(request: HttpRequest, code: str) -> JsonResponse:
    """GET /api/analysis/index/<code>/map?period=…: the choropleth layer, the unit's children as GeoJSON
    with score, band, colour and the one-sentence why."""
    access = _access(request)
    period = _period(request)
    ranked = index.ranking(code, period, scope=access.scope)
    props = {s.code: {"code": s.code, "name": s.name, "score": None if s.score is None else round(s.score, 2),
                      "band": s.band, "colour": BAND_COLOURS[s.band], "rank": s.rank, "why": s.why()}
             for s in ranked}
    _audit(request, access, code, "index_map", period=period)
    return answer({"type": "FeatureCollection", "period": period, "features": _features(props)},
                  content_type="application/geo+json")


@require_GET
def warning_list(request: HttpRequest, code: str) -> JsonResponse:
    """GET /api/analysis/warnings/<code>?month=YYYY-MM[&format=geojson]: the month's warnings (default
    this month), as a list or as the panorama's layer (GeoJSON of the warned areas)."""
    access = _access(request)
    month = index.parse_month(request.GET.get("month") or f"{timezone.localdate():%Y-%m}")
    fmt = request.GET.get("format") or "json"
    if fmt not in ("json", "geojson"):
        raise InvalidInput(_("format: expected json or geojson"), field="format")
    found = warnings.current(code, month, scope=access.scope)
    _audit(request, access, code, "warnings", rows=len(found), month=f"{month:%Y-%m}")
    if fmt == "geojson":
        props: dict[str, dict] = {}
        for w in found:  # an area warned twice (above baseline and a hot spot) is one feature with both
            props.setdefault(w.code, {"code": w.code, "name": w.name, "kinds": [], "sentences": []})
            props[w.code]["kinds"].append(w.kind)
            props[w.code]["sentences"].append(w.sentence)
        return answer({"type": "FeatureCollection", "month": f"{month:%Y-%m}", "features": _features(props)},
                      content_type="application/geo+json")
    return answer({"code": code, "month": f"{month:%Y-%m}", "fdr": warnings.FDR_Q,
                   "warnings": [w.as_dict() for w in found]})


@require_GET
def threezero_list(request: HttpRequest, code: str) -> JsonResponse:
    """GET /api/analysis/threezero/<code>?year=2026[&ytd=1][&format=geojson]: each township and village
    under the unit, three-zero or not, the matter that broke it, and the count per township."""
    access = _access(request)
    raw = request.GET.get("year") or str(timezone.localdate().year)
    if not raw.isdigit() or len(raw) != 4:
        raise InvalidInput(_("year: expected a year such as 2026"), field="year")
    ytd = _flag(request, "ytd")
    fmt = request.GET.get("format") or "json"
    if fmt not in ("json", "geojson"):
        raise InvalidInput(_("format: expected json or geojson"), field="format")
    units = threezero.status(code, int(raw), ytd=ytd, scope=access.scope)
    _audit(request, access, code, "threezero", rows=len(units), year=raw, ytd=ytd)
    if fmt == "geojson":
        # "sentences" and "colour" are what the dashboards' overlay shows (gridmap.remoteLayer): the villages
        # under a county or below, the counties under a city or a province.
        drawn = 3 if units and units[0].level >= 1 else 1
        props = {u.code: {"code": u.code, "name": u.name, "level": u.level, "three_zero": u.three_zero,
                          "sentence": u.sentence(), "sentences": [u.sentence()],
                          "colour": THREEZERO_COLOURS[u.three_zero]} for u in units if u.level == drawn}
        return answer({"type": "FeatureCollection", "features": _features(props)},
                      content_type="application/geo+json")
    body = {"code": code, "units": [u.as_dict() for u in units], "per_township": threezero.per_township(units)}
    if units and units[0].level < 1:  # a city's or province's count per county and per city
        body["per_county"] = threezero.per_child(units, 6)
        body["per_city"] = threezero.per_child(units, 4)
    return answer(body)
