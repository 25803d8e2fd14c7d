"""Interface text of the dashboards, through Django's gettext catalogues (zh-Hans by default, English).

The strings are English msgids marked here; their Chinese is in locale/zh_Hans/LC_MESSAGES/django.po
(`make messages` updates it). The functions keep the interface the views and templates had when this
was a hand-made table: `language(request)` (now geo.i18n's choice: ?lang=, the language cookie, then
GRIDMAP_LANGUAGE), `strings(lang)` and `classes(lang)` as dictionaries by key, and `choice(label, lang)`
for model choice labels.
"""

from __future__ import annotations

import re

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import pgettext_lazy

from geo import i18n as site_i18n

LANGUAGES = ("zh-hans", "en")

# Each string's msgctxt is its key: "Open" is 在办 (open incidents) as a figure and 进入 (open the page) as
# a link, and gettext tells them apart only by context. other_language is the name of the language a
# click switches to, so its English msgid is 中文 (and its Chinese, English).
TEXT: dict[str, str] = {
    "app": pgettext_lazy("app", "Gridmap"),
    "panorama": pgettext_lazy("panorama", "situation map"),
    "workload_page": pgettext_lazy("workload_page", "Grid workload"),
    "logout": pgettext_lazy("logout", "Log out"),
    "other_language": pgettext_lazy("other_language", "中文"),
    "period": pgettext_lazy("period", "Period"),
    "today": pgettext_lazy("today", "Today"),
    "7d": pgettext_lazy("7d", "Last 7 days"),
    "30d": pgettext_lazy("30d", "Last 30 days"),
    "year": pgettext_lazy("year", "This year"),
    "since": pgettext_lazy("since", "From"),
    "until": pgettext_lazy("until", "To"),
    "all_classes": pgettext_lazy("all_classes", "All classes"),
    "apply": pgettext_lazy("apply", "Apply"),
    "class": pgettext_lazy("class", "Class"),
    "intake": pgettext_lazy("intake", "Intake"),
    "open": pgettext_lazy("open", "Open"),
    "overdue": pgettext_lazy("overdue", "Overdue"),
    "accept_overdue": pgettext_lazy("accept_overdue", "Acceptance overdue"),
    "due_soon": pgettext_lazy("due_soon", "Due within 24 h"),
    "closed": pgettext_lazy("closed", "Closed"),
    "closure_rate": pgettext_lazy("closure_rate", "Closure rate"),
    "on_time_rate": pgettext_lazy("on_time_rate", "On-time rate"),
    "satisfaction": pgettext_lazy("satisfaction", "Satisfaction"),
    "hours_to_close": pgettext_lazy("hours_to_close", "Mean time to close"),
    "hours": pgettext_lazy("hours", "h"),
    "vs_previous": pgettext_lazy("vs_previous", "vs previous"),
    "previous": pgettext_lazy("previous", "previous"),
    "vs_year_before": pgettext_lazy("vs_year_before", "vs a year before"),
    "year_before": pgettext_lazy("year_before", "a year before"),
    "kpi_note": pgettext_lazy("kpi_note", "Counted over incidents reported in the period"),
    "rank": pgettext_lazy("rank", "Rank"),
    "unit": pgettext_lazy("unit", "Unit"),
    "workers": pgettext_lazy("workers", "Workers"),
    "open_per_worker": pgettext_lazy("open_per_worker", "Open per worker"),
    "children": pgettext_lazy("children", "Units below"),
    "no_data": pgettext_lazy("no_data", "No data"),
    "province": pgettext_lazy("province", "Province"),
    "city": pgettext_lazy("city", "City"),
    "county": pgettext_lazy("county", "County"),
    "township": pgettext_lazy("township", "Township"),
    "village": pgettext_lazy("village", "Village/community"),
    "grid": pgettext_lazy("grid", "Grid"),
    "dedicated": pgettext_lazy("dedicated", "Dedicated grid"),
    "grid_workers": pgettext_lazy("grid_workers", "Workers of this grid"),
    "employee_no": pgettext_lazy("employee_no", "No."),
    "name": pgettext_lazy("name", "Name"),
    "role": pgettext_lazy("role", "Role"),
    "recent_incidents": pgettext_lazy("recent_incidents", "Recent incidents"),
    # The live wall's ticker (wall.py): a heading, and one word per feed kind.
    "live": pgettext_lazy("live", "Live"),
    "live_empty": pgettext_lazy("live_empty", "Nothing new in the last 24 hours"),
    "wall_new": pgettext_lazy("wall_new", "new"),
    "wall_overdue": pgettext_lazy("wall_overdue", "overdue"),
    "wall_supervised": pgettext_lazy("wall_supervised", "supervised"),
    "status": pgettext_lazy("status", "Status"),
    "reported_at": pgettext_lazy("reported_at", "Reported"),
    "due_at": pgettext_lazy("due_at", "Due"),
    "week": pgettext_lazy("week", "Week"),
    "ranking": pgettext_lazy("ranking", "Weekly ranking of grid workers"),
    "rank_county": pgettext_lazy("rank_county", "County rank"),
    "rank_town": pgettext_lazy("rank_town", "Township rank"),
    "score": pgettext_lazy("score", "Score"),
    "reported": pgettext_lazy("reported", "Reported"),
    "on_time": pgettext_lazy("on_time", "Closed on time"),
    "last_week": pgettext_lazy("last_week", "Last week"),
    "red": pgettext_lazy("red", "Red list"),
    "black": pgettext_lazy("black", "Black list"),
    "warning": pgettext_lazy("warning", "Warning"),
    "rule": pgettext_lazy("rule", "Score = closed on time − overdue (reports are shown, not scored). Bottom 2 of a "
                          "township or bottom 10 of the county, with a negative score, two weeks running: "
                          "black list. Top 2 of a township or top 10 of the county, with a positive score, "
                          "this week: red list."),
    "listed_only": pgettext_lazy("listed_only", "{n} workers ranked; showing the {shown} on the red or black list "
                                 "or warned. Choose a township for its full ranking."),
    "chart": pgettext_lazy("chart", "Intake and closures"),
    "workload_map": pgettext_lazy("workload_map", "Grid workload (open per worker)"),
    "layer_grids": pgettext_lazy("layer_grids", "Grid boundaries"),
    "layer_heat": pgettext_lazy("layer_heat", "Incident heat map"),
    "layer_incidents": pgettext_lazy("layer_incidents", "Incident counts"),
    "layer_workload": pgettext_lazy("layer_workload", "Workload"),
    "layer_people": pgettext_lazy("layer_people", "Residents per km²"),
    "layer_coverage": pgettext_lazy("layer_coverage", "Patrol coverage, last 7 days"),
    "layer_tracks": pgettext_lazy("layer_tracks", "Patrol tracks, last 7 days"),
    "layer_places": pgettext_lazy("layer_places", "Places and cameras"),
    "layer_buildings": pgettext_lazy("layer_buildings", "Buildings"),
    "layer_labels": pgettext_lazy("layer_labels", "Names"),
    "legend": pgettext_lazy("legend", "Legend"),
    "legend_heat": pgettext_lazy("legend_heat", "Incident density"),
    "legend_load": pgettext_lazy("legend_load", "Open per worker:"),
    "legend_overdue": pgettext_lazy("legend_overdue", "has overdue incidents"),
    "legend_no_workers": pgettext_lazy("legend_no_workers", "no workers"),
    "legend_no_residents": pgettext_lazy("legend_no_residents", "no residents"),
    "legend_no_buildings": pgettext_lazy("legend_no_buildings", "no buildings or no track"),
    "camera": pgettext_lazy("camera", "Camera"),
    "cameras_near": pgettext_lazy("cameras_near", "Nearest cameras"),
    "cameras_none": pgettext_lazy("cameras_none", "none within 1 km"),
    "place": pgettext_lazy("place", "Place"),
    "building": pgettext_lazy("building", "Building"),
    "open_page": pgettext_lazy("open_page", "Open"),
    "illustrative": pgettext_lazy("illustrative", "Illustrative boundaries, not official"),
    "not_found": pgettext_lazy("not_found", "Not found"),
    # The command desk (layers/desk): cards and the department ranking.
    "desk": pgettext_lazy("desk", "Command desk"),
    "supervised": pgettext_lazy("supervised", "Supervised"),
    "supervision_overdue": pgettext_lazy("supervision_overdue", "Supervision overdue"),
    "resolved_in_grid": pgettext_lazy("resolved_in_grid", "Resolved in the grid"),
    "resolved_in_village": pgettext_lazy("resolved_in_village", "Resolved in the village"),
    "mediation_success": pgettext_lazy("mediation_success", "Mediation success"),
    "department_closure": pgettext_lazy("department_closure", "Department closure rate"),
    "departments_page": pgettext_lazy("departments_page", "Department ranking"),
    "department": pgettext_lazy("department", "Department"),
    "received": pgettext_lazy("received", "Received"),
    "co_handled": pgettext_lazy("co_handled", "Co-handled"),
    "returned": pgettext_lazy("returned", "Returned"),
    "departments_note": pgettext_lazy("departments_note", "Matters reported in the period and dispatched to the "
                                      "department as lead; ranked by closure rate, then on-time rate."),
}

CLASSES: dict[str, str] = {
    "dispute": pgettext_lazy("incident class", "Dispute"),
    "petition": pgettext_lazy("incident class", "Petition"),
    "consultation": pgettext_lazy("incident class", "Consultation"),
    "safety_hazard": pgettext_lazy("incident class", "Safety hazard"),
    "livelihood": pgettext_lazy("incident class", "Livelihood request"),
    "other": pgettext_lazy("incident class", "Other"),
}


_CJK = re.compile(r"[\u3400-\u9fff]")


def split_label(label: str) -> tuple[str, str]:
    """A model choice label "english 中文" as (中文, english); labels without Chinese serve both."""
    match = _CJK.search(label)
    if not match:
        return label, label
    return label[match.start():].strip(), label[:match.start()].strip() or label


def language(request: HttpRequest) -> str:
    """The interface language geo.i18n.LanguageMiddleware chose for this request."""
    return getattr(request, "LANGUAGE_CODE", None) or site_i18n.choose(request.GET.get("lang"), None)


def _render(table: dict, lang: str) -> dict[str, str]:
    with translation.override(lang):
        return {key: str(text) for key, text in table.items()}


def strings(lang: str) -> dict[str, str]:
    return _render(TEXT, lang)


def classes(lang: str) -> dict[str, str]:
    return _render(CLASSES, lang)


def choice(label: str, lang: str) -> str:
    """A choice label in `lang`: "english 中文" labels (incident statuses) are split; plain ones translated."""
    if _CJK.search(str(label)):
        zh, en = split_label(str(label))
        return en if lang == "en" else zh
    with translation.override(lang):
        return str(translation.gettext(str(label)))
