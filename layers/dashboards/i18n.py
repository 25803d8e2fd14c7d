"""Interface text in Chinese (zh-Hans, the default) and English, as one table.

A Python table rather than gettext catalogues: the dashboards have a few dozen strings, and a table
needs no compiled .mo files or msgfmt on the server. `?lang=en` (or `?lang=zh-hans`) switches and is
remembered in the session.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest

LANGUAGES = ("zh-hans", "en")
SESSION_KEY = "gridmap_lang"

TEXT: dict[str, tuple[str, str]] = {
    "app": ("Gridmap 网格地图", "Gridmap"),
    "panorama": ("民情全景地图", "situation map"),
    "workload_page": ("网格员工作量", "Grid workload"),
    "logout": ("退出", "Log out"),
    "other_language": ("English", "中文"),
    "period": ("时段", "Period"),
    "today": ("今日", "Today"),
    "7d": ("近7日", "Last 7 days"),
    "30d": ("近30日", "Last 30 days"),
    "year": ("本年", "This year"),
    "since": ("起", "From"),
    "until": ("止", "To"),
    "all_classes": ("全部类别", "All classes"),
    "apply": ("查询", "Apply"),
    "class": ("类别", "Class"),
    "intake": ("受理", "Intake"),
    "open": ("在办", "Open"),
    "overdue": ("超期", "Overdue"),
    "accept_overdue": ("受理超期", "Acceptance overdue"),
    "due_soon": ("临期（24小时内）", "Due within 24 h"),
    "closed": ("办结", "Closed"),
    "closure_rate": ("办结率", "Closure rate"),
    "on_time_rate": ("按期办结率", "On-time rate"),
    "satisfaction": ("满意率", "Satisfaction"),
    "hours_to_close": ("平均办结时长", "Mean time to close"),
    "hours": ("小时", "h"),
    "vs_previous": ("较上期", "vs previous"),
    "previous": ("上期", "previous"),
    "kpi_note": ("统计口径：所选时段内受理的事件", "Counted over incidents reported in the period"),
    "rank": ("排名", "Rank"),
    "unit": ("单位", "Unit"),
    "workers": ("网格员", "Workers"),
    "open_per_worker": ("人均在办", "Open per worker"),
    "children": ("下级单位", "Units below"),
    "no_data": ("暂无数据", "No data"),
    "county": ("县区", "County"),
    "township": ("乡镇/街道", "Township"),
    "village": ("村/社区", "Village/community"),
    "grid": ("网格", "Grid"),
    "dedicated": ("专属网格", "Dedicated grid"),
    "grid_workers": ("本网格网格员", "Workers of this grid"),
    "employee_no": ("工号", "No."),
    "name": ("姓名", "Name"),
    "role": ("岗位", "Role"),
    "recent_incidents": ("最近事件", "Recent incidents"),
    # The live wall's ticker (wall.py): a heading, and one word per feed kind.
    "live": ("实时动态", "Live"),
    "live_empty": ("24小时内暂无新情况", "Nothing new in the last 24 hours"),
    "wall_new": ("新上报", "new"),
    "wall_overdue": ("新超期", "overdue"),
    "wall_supervised": ("新督办", "supervised"),
    "status": ("状态", "Status"),
    "reported_at": ("受理时间", "Reported"),
    "due_at": ("办理时限", "Due"),
    "week": ("周", "Week"),
    "ranking": ("网格员周排名", "Weekly ranking of grid workers"),
    "rank_county": ("全区排名", "County rank"),
    "rank_town": ("镇街排名", "Township rank"),
    "score": ("积分", "Score"),
    "reported": ("上报", "Reported"),
    "on_time": ("按期办结", "Closed on time"),
    "last_week": ("上周排名", "Last week"),
    "red": ("红榜", "Red list"),
    "black": ("黑榜", "Black list"),
    "warning": ("预警", "Warning"),
    "rule": ("积分 = 按期办结 − 超期（上报数单列，不计入积分）。连续两周居镇街后2名或全区后10名（积分为负）列入黑榜；"
             "本周镇街前2名或全区前10名（积分为正）列入红榜。",
             "Score = closed on time − overdue (reports are shown, not scored). Bottom 2 of a township or bottom 10 "
             "of the county, with a negative score, two weeks running: black list. Top 2 of a township or top 10 of "
             "the county, with a positive score, this week: red list."),
    "listed_only": ("共{n}名网格员参与排名，此处列出红榜、黑榜和预警的{shown}名；选择镇街查看完整排名。",
                    "{n} workers ranked; showing the {shown} on the red or black list or warned. "
                    "Choose a township for its full ranking."),
    "chart": ("受理与办结", "Intake and closures"),
    "workload_map": ("网格工作负荷（人均在办）", "Grid workload (open per worker)"),
    "layer_grids": ("网格边界", "Grid boundaries"),
    "layer_heat": ("事件热力", "Incident heat map"),
    "layer_incidents": ("事件统计", "Incident counts"),
    "layer_workload": ("工作负荷", "Workload"),
    "layer_places": ("场所与监控", "Places and cameras"),
    "layer_buildings": ("楼栋", "Buildings"),
    "layer_labels": ("地名", "Names"),
    "legend": ("图例", "Legend"),
    "legend_heat": ("事件密度", "Incident density"),
    "legend_load": ("人均在办：", "Open per worker:"),
    "legend_overdue": ("有超期事件", "has overdue incidents"),
    "legend_no_workers": ("无网格员", "no workers"),
    "camera": ("监控", "Camera"),
    "place": ("场所", "Place"),
    "building": ("楼栋", "Building"),
    "open_page": ("进入", "Open"),
    "illustrative": ("示意边界，非官方界线", "Illustrative boundaries, not official"),
    "not_found": ("未找到", "Not found"),
    # The command desk (layers/desk): cards and the department ranking.
    "desk": ("指挥调度", "Command desk"),
    "supervised": ("督办事项", "Supervised"),
    "supervision_overdue": ("督办超期", "Supervision overdue"),
    "resolved_in_grid": ("小事不出格", "Resolved in the grid"),
    "resolved_in_village": ("大事不出村", "Resolved in the village"),
    "mediation_success": ("调解成功率", "Mediation success"),
    "department_closure": ("部门办结率", "Department closure rate"),
    "departments_page": ("职能部门排名", "Department ranking"),
    "department": ("部门", "Department"),
    "received": ("交办", "Received"),
    "co_handled": ("协办", "Co-handled"),
    "returned": ("退回", "Returned"),
    "departments_note": ("统计口径：所选时段内受理、交办给部门的事件（牵头）；按办结率、按期办结率排名。",
                         "Matters reported in the period and dispatched to the department as lead; ranked by "
                         "closure rate, then on-time rate."),
}

CLASSES: dict[str, tuple[str, str]] = {
    "dispute": ("矛盾纠纷", "Dispute"),
    "petition": ("信访", "Petition"),
    "consultation": ("咨询", "Consultation"),
    "safety_hazard": ("安全隐患", "Safety hazard"),
    "livelihood": ("民生诉求", "Livelihood request"),
    "other": ("其他", "Other"),
}

_CJK = re.compile(r"[\u3400-\u9fff]")


def split_label(label: str) -> tuple[str, str]:
    """A model choice label "english 中文" as (中文, english); labels without Chinese serve both."""
    match = _CJK.search(label)
    if not match:
        return label, label
    return label[match.start():].strip(), label[:match.start()].strip() or label


def language(request: HttpRequest) -> str:
    """The interface language: ?lang= (remembered in the session), else the session's, else the setting."""
    asked = request.GET.get("lang", "").lower()
    if asked in LANGUAGES:
        request.session[SESSION_KEY] = asked
        return asked
    stored = request.session.get(SESSION_KEY)
    if stored in LANGUAGES:
        return stored
    default = settings.LANGUAGE_CODE.lower()
    return default if default in LANGUAGES else "zh-hans"


def strings(lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    return {key: pair[index] for key, pair in TEXT.items()}


def classes(lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    return {key: pair[index] for key, pair in CLASSES.items()}


def choice(label: str, lang: str) -> str:
    zh, en = split_label(label)
    return en if lang == "en" else zh
