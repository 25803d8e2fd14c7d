"""/analysis/<code>/: the leaders' analysis page of a unit — the safety index of its child units as a
choropleth with their ranking and each one's "why", the month's early warnings as a layer and a list,
the three-zero villages as a layer with the count per township, and the unit's trend over 12 months.

Everything comes from analysis.index, .warnings and .threezero (the same calls as /api/analysis/…);
the map is drawn server-side (folium, the vendored Leaflet of geo/assets.py, no internet needed).
"""

from __future__ import annotations

import datetime as dt
import json

import folium
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from analysis import index, threezero, warnings
from analysis.views import BAND_COLOURS, _access, _audit
from geo import assets, basemap
from geo.errors import NotAuthenticated, NotFound
from grids.models import Area, get_area


def _geometry(codes: list[str]) -> dict[str, dict]:
    return {a.code: json.loads(a.boundary.json) for a in Area.objects.current().filter(code__in=codes)}


def _layer(m: folium.Map, name: str, features: list[dict], style, show: bool = True) -> None:
    if not features:
        return
    folium.GeoJson({"type": "FeatureCollection", "features": features}, name=name, show=show,
                   style_function=style,
                   tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False)).add_to(m)


@require_GET
def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        access = _access(request)
    except NotAuthenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    try:
        area = get_area(code, access.scope)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    this = timezone.localdate().replace(day=1)
    last = (this - dt.timedelta(days=1)).replace(day=1)
    period = request.GET.get("period") or f"{last:%Y-%m}"
    months = index.months_of(period)
    month = months[-1]
    trend_months = index.month_range((month - dt.timedelta(days=335)).replace(day=1), month)
    trend = index.scores(area.code, trend_months, scope=access.scope)
    ranked = index.ranking(area.code, period, scope=access.scope) if area.level < 3 else []
    found = warnings.current(area.code, month, scope=access.scope)
    units = threezero.status(area.code, month.year, ytd=True, scope=access.scope)
    _audit(request, access, area.code, "page", period=period)
    # The three-zero layer and list: villages under a county or below, counties under a city or a province
    # (a province's every village would be tens of thousands of shapes in the page).
    listed = 3 if area.level >= 1 else 1

    shapes = _geometry([s.code for s in ranked] + [w.code for w in found]
                       + [u.code for u in units if u.level == listed] + [area.code])
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.5)
    basemap.add_basemap(m)
    _layer(m, _("safety index"), [
        {"type": "Feature", "geometry": shapes[s.code],
         "properties": {"label": s.why(), "colour": BAND_COLOURS[s.band]}} for s in ranked if s.code in shapes],
        lambda f: {"fillColor": f["properties"]["colour"], "color": "#555", "weight": 1, "fillOpacity": 0.55})
    _layer(m, _("three-zero villages") if listed == 3 else _("three-zero counties"), [
        {"type": "Feature", "geometry": shapes[u.code],
         "properties": {"label": u.sentence(), "ok": u.three_zero}}
        for u in units if u.level == listed and u.code in shapes],
        lambda f: {"fillColor": "#1b5e20" if f["properties"]["ok"] else "#9e9e9e", "color": "#1b5e20",
                   "weight": 1, "fillOpacity": 0.35}, show=False)
    _layer(m, _("early warnings"), [
        {"type": "Feature", "geometry": shapes[w.code], "properties": {"label": w.sentence}}
        for w in found if w.code in shapes],
        lambda f: {"fillColor": "#d50000", "color": "#d50000", "weight": 3, "fillOpacity": 0.25})
    folium.LayerControl(collapsed=False).add_to(m)
    extent = Area.objects.filter(code=area.code).values_list("boundary", flat=True).first().extent
    m.fit_bounds([[extent[1], extent[0]], [extent[3], extent[2]]])
    assets.localize(m)
    figure = m.get_root()
    figure.render()
    names = {u.code: u.name for u in units}
    # Three-zero villages per child unit: per township (a county), per county (a city), per city (a province).
    child_length = {-1: 4, 0: 6}.get(area.level, 9)
    township_counts = [(code, names.get(code, code), c)
                       for code, c in sorted(threezero.per_child(units, child_length).items())]
    own = index.rollup(trend[-len(months):], period) if len(months) > 1 else trend[-1]
    return render(request, "analysis/unit.html", {
        "area": area, "period": period, "month": month, "score": own, "ranked": ranked, "warnings": found,
        "trend": trend, "units": units, "per_township": township_counts, "listed": listed,
        "fdr": warnings.FDR_Q, "colours": BAND_COLOURS,
        "map": {"head": figure.header.render(), "body": figure.html.render(), "script": figure.script.render()}})
