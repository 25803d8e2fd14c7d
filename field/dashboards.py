"""The coverage panel of the dashboards (layers/dashboards/sections.py): has anyone been there this week?
The unit's last 7 days (track length, hours out, share of buildings passed, households visited, key places
overdue, grids not visited), and on the workload page each child unit's. Counts only, for every role that
may read the unit; department accounts get no panel (patrols are the grid workers' business)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from field import coverage
from field.coverage_api import not_visited
from geo.access import Access
from grids.models import Area

DAYS = 7

TEXT = {
    "en": {"title": "Patrol coverage, last 7 days", "length": "Walked (km)", "hours": "Hours out",
           "share": "Buildings passed", "households": "Households visited", "overdue": "Key places overdue",
           "unvisited": "Grids not visited", "unit": "Unit", "never": "never", "days_ago": "{n} days ago",
           "all_visited": "Every grid was visited in the last 7 days.", "more": "and {n} more"},
    "zh-hans": {"title": "巡查覆盖（近7天）", "length": "巡查里程（公里）", "hours": "在岗时长（小时）",
                "share": "楼栋覆盖率", "households": "入户户数", "overdue": "重点场所超期未查",
                "unvisited": "未巡查网格", "unit": "单位", "never": "从未", "days_ago": "{n}天前",
                "all_visited": "近7天每个网格都有巡查。", "more": "另有{n}个"},
}


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def panel(access: Access, code: str, lang: str, *, children: bool = False) -> dict[str, Any] | None:
    """The coverage panel (provided with departments=False: never drawn for a department account)."""
    t = TEXT.get(lang, TEXT["en"])
    until = timezone.now()
    since = until - dt.timedelta(days=DAYS)
    own = coverage.of_unit(code, since, until)
    unvisited = not_visited(code, DAYS, until) if len(code) <= 15 else []
    cards = [{"key": "coverage_length", "label": t["length"], "value": f"{own.length_km:,.1f}"},
             {"key": "coverage_hours", "label": t["hours"], "value": f"{own.hours_out:,.1f}"},
             {"key": "coverage_share", "label": t["share"], "value": _pct(own.share_passed)},
             {"key": "coverage_households", "label": t["households"], "value": f"{own.households_visited:,}"},
             {"key": "coverage_overdue", "label": t["overdue"],
              "value": f"{own.key_places_overdue:,} / {own.key_places:,}"},
             {"key": "coverage_unvisited", "label": t["unvisited"], "value": f"{len(unvisited):,}"}]
    rows = None
    if children:
        kids = coverage.of_children(code, since, until)
        names = Area.objects.current().filter(parent_id=code, level__lte=4).order_by("code").values_list("code", "name")
        rows = [[name, f"{kids.get(c, coverage.Coverage()).length_km:,.1f}",
                 f"{kids.get(c, coverage.Coverage()).hours_out:,.1f}",
                 _pct(kids.get(c, coverage.Coverage()).share_passed),
                 f"{kids.get(c, coverage.Coverage()).key_places_overdue:,}"] for c, name in names]
    items = [{"text": f"{g['name']} ({g['code']}): " + (t["never"] if g["last_seen"] is None else
                                                       t["days_ago"].format(n=g["days_since_seen"])),
              "href": reverse("dashboard-grid", args=[g["code"]])} for g in unvisited[:10]]
    return {"key": "coverage", "title": t["title"], "cards": cards,
            "children": {"columns": [t["unit"], t["length"], t["hours"], t["share"], t["overdue"]], "rows": rows}
            if rows else None,
            "items": items, "empty": t["all_visited"],
            "more": t["more"].format(n=len(unvisited) - 10) if len(unvisited) > 10 else None}
