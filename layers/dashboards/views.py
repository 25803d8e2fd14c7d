"""Dashboard pages: the panorama (/), drill-down by township, village and grid, and the workload page.

Thin views: check access (anonymous → the login page), find the unit inside the caller's scope
(outside it, or unknown → 404), gather figures from data.py, build the map with maps.py, render.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from geo.access import Access, require
from geo.errors import NotAuthenticated, NotFound
from grids.models import Area, get_area
from layers.dashboards import areas, data, i18n, kpis, maps, sections, wall
from layers.dashboards.chart import line_chart
from layers.dashboards.period import page_query, parse_class, parse_period, parse_week, tile_filters
from layers.figures.counts import Figures

ROUTE_LEVELS = {"province": (-1,), "city": (0,), "county": (1,), "township": (2,), "village": (3,), "grid": (4, 5)}
PLACEHOLDER_DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12, "grid": 15}
MAX_RANKING_ROWS = 300
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
FIGURE_KEYS = ("intake", "open", "overdue", "closed", "on_time", "workers", "open_per_worker")


def dashboard_page(view: Callable) -> Callable:
    """Pages need a session (or token) with the view permission; anonymous users go to the login page,
    and a unit that is unknown or outside the caller's scope is a plain 404."""

    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            access = require(request, "view")
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        try:
            # A department account's figures are its department's matters only (layers/desk/scope.py).
            with data.request_scope(department=access.department_code if access.narrowed else ""):
                return view(request, access, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return wrapper


class Page:
    """The request's language, period, class and the links that keep them."""

    def __init__(self, request: HttpRequest, access: Access, default_period: str = "today") -> None:
        self.request = request
        self.access = access
        self.lang = i18n.language(request)
        self.t = i18n.strings(self.lang)
        self.classes = i18n.classes(self.lang)
        self.period = parse_period(request.GET, default_period)
        self.category = parse_class(request.GET)
        self.sort = request.GET.get("sort") if request.GET.get("sort") in kpis.SORTS else kpis.DEFAULT_SORT
        # An API token in the URL (a wall screen opened without a login) is passed on to links and tiles;
        # require() has checked it, and only a key's own characters are ever copied into the page.
        token = request.GET.get("token", "")
        self.token = token if TOKEN_RE.fullmatch(token) else ""
        # ?refresh=<seconds> reloads the page on a wall screen (figures and tiles), at most once a minute.
        refresh = request.GET.get("refresh", "")
        self.refresh = max(60, min(3600, int(refresh))) if refresh.isascii() and refresh.isdigit() else 0

    @functools.cached_property
    def root_code(self) -> str:
        """The code of the unit the panorama opens on for this user (one or two queries, once a page)."""
        return areas.root_code(self.access.scope)

    def query(self, **extra: str) -> str:
        return page_query(self.period, self.category, token=self.token, **extra)

    def link(self, area: Area | areas.Crumb) -> str:
        # The unit the panorama opens on is the panorama itself; other counties have pages of their own.
        if area.level <= 1 and area.code == self.root_code:
            return reverse("dashboard-panorama") + "?" + self.query()
        return reverse(f"dashboard-{areas.ROUTES[area.level]}", args=[area.code]) + "?" + self.query()

    def context(self) -> dict:
        other = "zh-hans" if self.lang == "en" else "en"
        params = {k: v for k, v in self.request.GET.items() if k != "lang"}
        return {
            "lang": self.lang, "t": self.t, "classes": self.classes, "period": self.period,
            "category": self.category, "category_label": self.classes.get(self.category, ""),
            "sort": self.sort, "token": self.token,
            "sort_param": "" if self.sort == kpis.DEFAULT_SORT else urlencode({"sort": self.sort}),
            "presets": [(p, self.t[p]) for p in ("today", "7d", "30d", "year")],
            "switch_url": "?" + urlencode({**params, "lang": other}),
            "username": self.access.username, "refresh": self.refresh,
        }


def route_template(route: str) -> str:
    """A page URL with CODE in place of the area code, for links built in the browser (map popups)."""
    placeholder = "9" * PLACEHOLDER_DIGITS[route]
    return reverse(f"dashboard-{route}", args=[placeholder]).replace(placeholder, "CODE")


def _map_spec(page: Page, unit: Area, *, workers: int, open_count: int, **options) -> maps.MapSpec:
    # Names of the areas below the unit (a grid page labels the grid itself); above the county, the two
    # levels below it (a province's cities and counties), not its hundreds of thousands of grids.
    if unit.level < 1:
        levels = (unit.level + 1, unit.level + 2)
    else:
        levels = tuple(lv for lv in (2, 3, 4, 5) if lv > unit.level) if unit.level < 4 else (unit.level,)
    labels = areas.labels(unit.code, levels)
    bounds = areas.extent(unit.code)
    return maps.MapSpec(
        bounds=bounds, text=page.t, tile_query=tile_filters(page.period, page.category), area=unit.code,
        token=page.token, labels=labels, scope=page.access.scope or "",
        heat=maps.heat_points(labels, data.grid_counts(unit.code, page.period, page.category)),
        heat_spacing=maps.grid_spacing(bounds, sum(1 for row in labels if row[3] == 4)),
        routes={str(lv): route_template(route) + "?" + page.query() for lv, route in areas.ROUTES.items()},
        load_breaks=maps.load_breaks(open_count, workers), figure_names=tuple((k, page.t[k]) for k in FIGURE_KEYS),
        personal=page.access.personal_data, patrols=not page.access.narrowed, **options)


def _wall_options(page: Page, unit: Area) -> dict:
    """What gridmap.wall (map.js) needs to poll /api/wall for this page's unit, period and class."""
    kinds = {kind.key: page.t.get(f"wall_{kind.key}", kind.key) for kind in wall.FEED_KINDS}
    return {"url": reverse("wall-feed") + "?" + page.query(area=unit.code, lang=page.lang),
            "poll": wall.POLL_SECONDS, "classes": page.classes, "kinds": kinds,
            "empty": page.t["live_empty"]}


def _child_rows(page: Page, children: list[data.ChildRow], year_before: dict[str, Figures] | None = None
                ) -> list[dict]:
    """The ranked child units; with `year_before` (their figures a year before), intake against it (同比)."""
    rows = []
    for n, row in kpis.rank(children, page.sort):
        entry = {"rank": n, "row": row, "link": page.link(row), "closure": kpis.fmt_rate(row.figures.closure_rate),
                 "on_time": kpis.fmt_rate(row.figures.on_time_rate),
                 "load": "—" if row.open_per_worker is None else f"{row.open_per_worker:.2f}"}
        if year_before is not None:
            entry["yoy"] = kpis.change(row.figures.intake, year_before.get(row.code, Figures()).intake)
        rows.append(entry)
    return rows


def _overlays(page: Page, panels: list[dict]) -> tuple[tuple[str, str], ...]:
    """(name, url) of the GeoJSON layers the panels offer (sections.py), with the page's token passed on."""
    suffix = f"&token={page.token}" if page.token else ""
    return tuple((p["overlay"]["name"], p["overlay"]["url"] + suffix) for p in panels if p.get("overlay"))


def _incident_rows(page: Page, code: str) -> list[dict]:
    return [{"id": i.pk, "class": page.classes.get(i.category, i.category),
             "status": i18n.choice(i.get_status_display(), page.lang), "reported_at": i.reported_at,
             "due_at": i.due_at, "overdue": i.is_overdue()}
            for i in areas.recent_incidents(code, page.category, access=page.access)]


def _unit_page(request: HttpRequest, access: Access, unit: Area, *, panorama: bool) -> HttpResponse:
    page = Page(request, access)
    kpi = data.unit_kpis(unit.code, page.period, page.category)
    children = data.child_ranking(unit.code, page.period, page.category)
    is_grid = unit.level >= 4
    workers = [{**w, "role": i18n.choice(w["role"], page.lang)} for w in areas.grid_workers(unit.code)
               ] if is_grid else []
    worker_count = len(workers) if is_grid else sum(c.workers for c in children)
    panels = sections.panels(access, unit.code, page.lang)
    # A grid's page opens on its coverage: the choropleth and (for the personal-data right) the week's tracks.
    show = maps.MapSpec.show | ({"coverage", "tracks"} if is_grid else set())
    m = maps.build(_map_spec(page, unit, workers=worker_count, open_count=kpi.current.open,
                             wall=_wall_options(page, unit), overlays=_overlays(page, panels), show=frozenset(show)))
    context = {
        **page.context(), "unit": unit, "panorama": panorama,
        "crumbs": [(c, page.link(c) if c.linked and c.code != unit.code else "")
                   for c in areas.breadcrumbs(unit, access.scope)],
        "cards": kpis.cards(kpi, page.t), "kpi": kpi,
        "desk_cards": kpis.desk_cards(*data.desk_kpis(unit.code, page.period, page.category), page.t),
        "departments_url": reverse("dashboard-departments") + "?" + page.query(area=unit.code),
        "hours_to_close": kpis.fmt_hours(kpi.current.hours_to_close),
        "level_label": page.t[areas.LEVEL_KEYS[unit.level]],
        "child_level_label": page.t.get(areas.LEVEL_KEYS.get(unit.level + 1, ""), ""),
        "children_rows": _child_rows(page, children, data.child_totals(unit.code, page.period.year_before(),
                                                                       page.category) if children else None),
        "sort_links": {key: page.query(sort=key) for key in kpis.SORTS},
        "workers": workers, "incident_rows": _incident_rows(page, unit.code) if is_grid else [],
        "map": maps.render(m), "map_js": static("dashboards/map.js"),
        "workload_url": reverse("dashboard-workload") + "?" + page.query(area=unit.code if unit.level <= 3 else
                                                                         unit.code[:12]),
        "panels": panels,
    }
    return render(request, "dashboards/unit.html", context)


@dashboard_page
def panorama(request: HttpRequest, access: Access) -> HttpResponse:
    """The county panorama (一图总览): the caller's whole scope on one map."""
    unit = areas.root_area(access.scope)
    if unit is None:
        page = Page(request, access)
        return render(request, "dashboards/empty.html", page.context())
    return _unit_page(request, access, unit, panorama=True)


def _drill(route: str) -> Callable:
    @dashboard_page
    def view(request: HttpRequest, access: Access, code: str) -> HttpResponse:
        unit = get_area(code, access.scope)
        if unit.level not in ROUTE_LEVELS[route]:
            raise NotFound(f"{code} is not a {route}")
        return _unit_page(request, access, unit, panorama=False)

    view.__name__ = view.__qualname__ = f"{route}_page"
    view.__doc__ = f"Drill-down page of a {route}: its map, figures and ranked child units."
    return view


province = _drill("province")
city = _drill("city")
county = _drill("county")
township = _drill("township")
village = _drill("village")
grid = _drill("grid")


@dashboard_page
def departments(request: HttpRequest, access: Access) -> HttpResponse:
    """The departments ranked by closure and on-time rate over the period, for the unit (?area=)."""
    page = Page(request, access, default_period="30d")
    code = request.GET.get("area") or ""
    unit = get_area(code, access.scope) if code else areas.root_area(access.scope)
    if unit is None:
        return render(request, "dashboards/empty.html", page.context())
    rows = data.department_ranking(unit.code, page.period, page.category)
    if access.narrowed:  # its own line only, not the co-handlers of its matters
        rows = [r for r in rows if r["code"] == access.department_code]
    for row in rows:
        row["closure"] = kpis.fmt_rate(row["closure_rate"])
        row["on_time"] = kpis.fmt_rate(row["on_time_rate"])
    context = {**page.context(), "unit": unit, "rows": rows, "area_param": unit.code,
               "panorama_url": page.link(unit)}
    return render(request, "dashboards/departments.html", context)


@dashboard_page
def workload(request: HttpRequest, access: Access) -> HttpResponse:
    """Grid workload for a period, the weekly ranking of grid workers, and intake against closures."""
    if access.narrowed:  # grid workers' ranking is the center's business, not a department's
        raise NotFound("the workload page is not open to department accounts")
    page = Page(request, access, default_period="30d")
    code = request.GET.get("area") or ""
    unit = get_area(code, access.scope) if code else areas.root_area(access.scope)
    if unit is None:
        return render(request, "dashboards/empty.html", page.context())
    if unit.level > 3:
        raise NotFound("the workload page is for a county, township or village")
    week = parse_week(request.GET)
    ranking = data.worker_ranking(unit.code, week)
    # A county ranks thousands of workers: its page lists those on a list or warned, and links to each
    # township's page for the full ranking.
    listed_only = len(ranking) > MAX_RANKING_ROWS
    shown = [r for r in ranking if r.red or r.bottom] if listed_only else ranking
    series = data.intake_vs_closures(unit.code, page.period, page.category)
    kpi = data.unit_kpis(unit.code, page.period, page.category)
    children = data.child_ranking(unit.code, page.period, page.category)
    workers = sum(c.workers for c in children)
    spec = _map_spec(page, unit, workers=workers, open_count=kpi.current.open,
                     layers=("grids", "workload", "heat", "labels"), show=frozenset({"grids", "workload", "labels"}))
    context = {
        **page.context(), "unit": unit, "week": week, "week_end": week + dt.timedelta(days=6),
        "ranking": shown, "listed_only": listed_only,
        "listed_note": page.t["listed_only"].format(n=len(ranking), shown=len(shown)),
        "child_links": [(c.name, reverse("dashboard-workload") + "?" + page.query(area=c.code, week=week.isoformat()))
                        for c in children] if unit.level < 3 else [],
        "chart": line_chart(series, [page.t["intake"], page.t["closed"]], title=page.t["chart"]),
        "map": maps.render(maps.build(spec)), "map_js": static("dashboards/map.js"),
        "week_links": {"prev": page.query(area=unit.code, week=(week - dt.timedelta(days=7)).isoformat()),
                       "next": page.query(area=unit.code, week=(week + dt.timedelta(days=7)).isoformat())},
        "panorama_url": page.link(unit),
        "area_param": unit.code,
        # Residents per grid worker beside the incidents: the load a worker carries is people too.
        "panels": sections.panels(access, unit.code, page.lang, children=True),
    }
    return render(request, "dashboards/workload.html", context)


@require_GET
def wall_feed(request: HttpRequest) -> HttpResponse:
    """/api/wall: the live wall's poll (see wall.py). View permission by session or token; the unit must
    lie in the caller's scope; the answer carries no personal field; unchanged → 304 without a body."""
    access = require(request, "view")
    unit, period, category, lang, after = wall.parse(request.GET, access)
    entry = wall.answer(unit, period, category, lang, access.department_code if access.narrowed else "")
    etag = f'"{entry.cursor}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Cookie, Authorization"}
    if after == entry.cursor or etag in request.headers.get("If-None-Match", ""):
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(entry.body, content_type="application/json", headers=headers)
