"""The people panel of the dashboards (layers/dashboards/sections.py): the unit's population,
households, enterprises, key persons, key persons overdue for follow-up and follow-ups done in 30 days
(small counts hidden as in every path), residents per km² and per
grid worker; on the workload page, each child unit's residents per grid worker."""

from __future__ import annotations

from typing import Any

from geo.access import Access
from grids.models import Area
from people import counts

TEXT = {
    "en": {"title": "Local conditions", "population": "Residents", "households": "Households",
           "enterprises": "Enterprises", "key_persons": "Key persons", "per_km2": "Residents per km²",
           "per_worker": "Residents per grid worker", "unit": "Unit", "workers": "Grid workers",
           "overdue": "Key persons overdue for follow-up", "done": "Follow-ups (30 days)"},
    "zh-hans": {"title": "民情", "population": "常住人口", "households": "户数", "enterprises": "企业和组织",
                "key_persons": "重点人员", "per_km2": "人口密度（人/km²）", "per_worker": "网格员人均服务人口",
                "unit": "单位", "workers": "网格员",
                "overdue": "重点人员走访逾期", "done": "近30天走访"},
}


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def panel(access: Access, code: str, lang: str, *, children: bool = False) -> dict[str, Any]:
    t = TEXT.get(lang, TEXT["en"])
    child_codes = list(Area.objects.current().filter(parent_id=code, level__lte=4).order_by("code")
                       .values_list("code", "name")) if children else []
    raw = counts.raw_counts([code])[code]
    unit = counts.unit_people(access, [code, *(c for c, _ in child_codes)])
    own = unit[code]
    # All key groups together, hidden below the threshold like each group.
    key = counts.shown(sum(raw[m] for m in counts.KEY_MEASURES), access)
    cards = [{"key": "population", "label": t["population"], "value": _fmt(own["population"])},
             {"key": "households", "label": t["households"], "value": _fmt(own["households"])},
             {"key": "enterprises", "label": t["enterprises"], "value": _fmt(own["enterprises"])},
             {"key": "key_persons", "label": t["key_persons"], "value": _fmt(key)},
             {"key": "followups_overdue", "label": t["overdue"], "value": _fmt(own["follow_ups"]["overdue"])},
             {"key": "followups_done", "label": t["done"], "value": _fmt(own["follow_ups"]["done_30_days"])},
             {"key": "residents_per_km2", "label": t["per_km2"], "value": _fmt(own["residents_per_km2"])},
             {"key": "residents_per_worker", "label": t["per_worker"], "value": _fmt(own["residents_per_worker"])}]
    rows = [[name, _fmt(unit[c]["population"]), _fmt(unit[c]["workers"]), _fmt(unit[c]["residents_per_worker"])]
            for c, name in child_codes]
    return {"key": "people", "title": t["title"], "cards": cards,
            "children": {"columns": [t["unit"], t["population"], t["workers"], t["per_worker"]], "rows": rows}
            if rows else None}
