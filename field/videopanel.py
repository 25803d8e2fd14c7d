"""The video patrol panel of the dashboards (layers/dashboards/sections.py): the figure "video patrols" over
the last 7 days (兖州's patrol is weekly) for the unit, and on the workload page for each child unit: patrols,
cameras looked at out of the unit's cameras, hours. Read from the one definition (field/videopatrols.py →
field/sql/functions/10_video_patrols.sql)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from field.videopatrols import unit_figures
from geo.access import Access
from grids.models import Area

DAYS = 7
TEXT = {
    "en": {"title": "Video patrols, last 7 days", "video_patrols": "Video patrols",
           "cameras_viewed": "Cameras looked at",
           "cameras": "Cameras", "hours": "Hours", "unit": "Unit", "share": "Share of cameras looked at"},
    "zh-hans": {"title": "视频巡查（近7天）", "video_patrols": "视频巡查次数", "cameras_viewed": "巡查摄像头数",
                "cameras": "摄像头", "hours": "时长（小时）", "unit": "单位", "share": "摄像头巡查覆盖率"},
}


def _share(f: dict[str, Any]) -> str:
    return f"{f['cameras_viewed'] / f['cameras']:.0%}" if f["cameras"] else "—"


def panel(access: Access, code: str, lang: str, *, children: bool = False) -> dict[str, Any] | None:
    t = TEXT.get(lang, TEXT["en"])
    until = timezone.now()
    since = until - dt.timedelta(days=DAYS)
    child_codes = list(Area.objects.current().filter(parent_id=code, level__lte=4).order_by("code")
                       .values_list("code", "name")) if children else []
    figures = unit_figures([code, *(c for c, _ in child_codes)], since, until)
    own = figures[code]
    if not own["cameras"] and not own["video_patrols"]:
        return None  # no camera registered here: nothing to say
    cards = [{"key": "video_patrols", "label": t["video_patrols"], "value": f"{own['video_patrols']:,}"},
             {"key": "cameras_viewed", "label": t["cameras_viewed"],
              "value": f"{own['cameras_viewed']:,} / {own['cameras']:,}"},
             {"key": "camera_share", "label": t["share"], "value": _share(own)},
             {"key": "video_hours", "label": t["hours"], "value": f"{own['hours']:,.1f}"}]
    rows = [[name, f"{figures[c]['video_patrols']:,}", f"{figures[c]['cameras_viewed']:,} / {figures[c]['cameras']:,}",
             _share(figures[c]), f"{figures[c]['hours']:,.1f}"] for c, name in child_codes]
    return {"key": "video_patrols", "title": t["title"], "cards": cards,
            "children": {"columns": [t["unit"], t["video_patrols"], t["cameras_viewed"], t["share"], t["hours"]],
                         "rows": rows} if rows else None}
