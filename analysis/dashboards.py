"""The early warnings on the panorama and the drill-down pages (issue 20: "shown on the panorama as a
layer and a list, each warning explained in a sentence"), handed to layers/dashboards/sections.py in
AnalysisConfig.ready(), since layers may not import analysis.

The panel lists this month's warnings of the page's unit (county, township or village), each with its
sentence and a link to the warned area's own page, links to /analysis/<code>/, and names the overlay
the map loads from /api/analysis/warnings/<code>?format=geojson when a user switches it on (off by
default, so the page pays nothing for the geometry). The rules are the analysis routes' own: a
department account gets no panel at all (the warnings count every matter of a unit, not only its
dispatched ones), the unit is the one the page already found inside the caller's scope, and every
read is audited (analysis_read, what=dashboard_warnings) — so while the primary is down and the pages
are read from the standby, the panel is left out. A warning names areas and counts only: nothing
personal.

Speed: a county's warnings take seconds (counts for 13 months, the Gi* over every grid), too slow for
a page opened many times a day, so the lists are kept per process for CACHE_SECONDS, by unit, month,
scope and language (the sentences are translated when made). A warning is a monthly judgement: a
list a few minutes old says the same thing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone, translation

from analysis import warnings
from geo import replica
from geo.access import Access, audit
from geo.kept import Keeper
from geo.models import AuditRecord
from layers.dashboards.areas import ROUTES

CACHE_SECONDS = 600
# A month of a busy county can hold hundreds of warnings (full-scale 济源: 250): the side panel lists the
# most significant of each kind and says how many more the analysis page has.
MAX_ITEMS = 20
_KEPT = Keeper("month warnings", CACHE_SECONDS)

TEXT = {
    "en": {"title": "Early warnings", "none": "No early warning this month.", "page": "Analysis of this unit",
           "layer": "Early warnings", "more": "{n} more on the analysis page"},
    "zh-hans": {"title": "预警", "none": "本月无预警。", "page": "本单位分析", "layer": "预警",
                "more": "另有 {n} 条，见分析页"},
}


def clear() -> None:
    """Forget this process's lists (tests; data written since)."""
    _KEPT.forget()


def month_warnings(code: str, month: dt.date, scope: str, lang: str) -> list[warnings.Warning]:
    """warnings.current for the unit and month, kept CACHE_SECONDS in this process."""
    def compute() -> list[warnings.Warning]:
        with translation.override(lang):
            return warnings.current(code, month, scope=scope or None)

    return _KEPT.get((code, f"{month:%Y-%m}", scope, lang), compute)


def panel(access: Access, code: str, lang: str, *, children: bool = False) -> dict[str, Any] | None:
    """The warnings panel of a unit page; None where it has no place: a department account, the workload
    page (children=True) or a grid page (warnings are computed for provinces, cities, counties, townships and
    villages; a city's or province's are its counties', warnings.py)."""
    if access.narrowed or children or len(code) > 12:
        return None
    if replica.configured() and replica.GUARD.primary_down():
        # Every warnings read is audited, and the audit trail is written on the primary: while it is down
        # the panorama (read from the standby, geo/replica.py) shows no warnings, as an export answers 503.
        return None
    t = TEXT.get(lang, TEXT["en"])
    month = timezone.localdate().replace(day=1)
    found = month_warnings(code, month, access.scope or "", lang)
    audit(access, AuditRecord.Action.ANALYSIS_READ, target=code, rows=len(found),
          detail={"what": "dashboard_warnings", "month": f"{month:%Y-%m}"})
    # Both kinds keep a share of the list: above-baseline units first, then hot spots, each by p-value.
    shown = [w for w in found if w.kind == "baseline"][:MAX_ITEMS // 2]
    shown += [w for w in found if w.kind != "baseline"][:MAX_ITEMS - len(shown)]
    shown += [w for w in found if w not in shown][:MAX_ITEMS - len(shown)]
    shown.sort(key=found.index)
    items = [{"text": w.sentence, "kind": w.kind, "code": w.code,
              "href": reverse(f"dashboard-{ROUTES[w.level]}", args=[w.code])} for w in shown]
    query = urlencode({"format": "geojson", "month": f"{month:%Y-%m}"})
    return {"key": "warnings", "title": f"{t['title']} · {month:%Y-%m}", "cards": [], "children": None,
            "items": items, "empty": t["none"],
            "more": t["more"].format(n=len(found) - len(shown)) if len(found) > len(shown) else "",
            "links": [{"label": t["page"], "href": reverse("analysis-page", args=[code])}],
            "overlay": {"name": t["layer"], "url": reverse("analysis-warnings", args=[code]) + "?" + query}}


# ---------------------------------------------------------------------------------------- three-zero

THREEZERO_TEXT = {
    "en": {"title": "Three-zero units", "none": "Every village is a three-zero unit so far this year.",
           "villages": "Three-zero villages", "township": "Township", "count": "Three-zero / villages",
           "layer": "Three-zero units", "more": "{n} more on the analysis page", "unit": "This unit",
           "yes": "three-zero", "no": "broken", "counties": "Three-zero counties", "county": "County",
           "city": "City"},
    "zh-hans": {"title": "三零单位", "none": "今年以来所有村（社区）均为三零单位。", "villages": "三零村（社区）",
                "township": "乡镇（街道）", "count": "三零 / 村（社区）", "layer": "三零单位",
                "more": "另有 {n} 个，见分析页", "unit": "本单位", "yes": "三零", "no": "未达标",
                "counties": "三零县（市、区）", "county": "县（市、区）", "city": "市（州）"},
}


def threezero_panel(access: Access, code: str, lang: str, *, children: bool = False) -> dict[str, Any] | None:
    """The three-zero (三零) panel of a unit page, this year to date: the count of three-zero villages
    (per township on the county's page), the units that are not, each with the first matter that broke
    it and when (linking to the matter), and the map overlay (villages coloured three-zero / broken).
    The same rules as the warnings panel: no department account (the verdicts count every matter of a
    unit), no grid page, none while the primary is down (every read is audited); the unit was found
    inside the caller's scope by the page. On a city's or province's page: the count of three-zero villages
    and of three-zero counties, the table per county (a city) or per city (a province), and the counties
    that are not three-zero, each with the first matter that broke it; the overlay draws the counties."""
    if access.narrowed or children or len(code) > 12:
        return None
    if replica.configured() and replica.GUARD.primary_down():
        return None
    from analysis import threezero

    t = THREEZERO_TEXT.get(lang, THREEZERO_TEXT["en"])
    year = timezone.localdate().year
    kept = threezero.verdicts(code, year, ytd=True)
    units = [u for c, u in sorted(kept.items()) if c.startswith(code)]
    audit(access, AuditRecord.Action.ANALYSIS_READ, target=code, rows=len(units),
          detail={"what": "dashboard_threezero", "year": year, "ytd": True})
    above = len(code) < 6
    with translation.override(lang):
        listed = 1 if above else 3  # the units listed when broken: counties above the county, villages below
        broken = [u for u in units if not u.three_zero and (u.level == listed or len(code) == 12)]
        items = []
        for u in broken[:MAX_ITEMS]:
            first = min(u.broken, key=lambda b: (b.reported_at, b.incident))
            items.append({"text": u.sentence(), "kind": "threezero-broken", "code": u.code,
                          "href": reverse("incident", args=[first.incident])})
    # The table's rows: townships on a county's page, counties on a city's, cities on a province's.
    child_length = {2: 4, 4: 6}.get(len(code), 9)
    counts = threezero.per_child(units, child_length)
    villages = sum(c["villages"] for c in counts.values())
    cards = [{"key": "threezero", "label": t["villages"],
              "value": f"{sum(c['three_zero'] for c in counts.values())} / {villages}"}] if villages else [
        {"key": "threezero", "label": t["unit"], "value": t["yes"] if units and units[0].three_zero else t["no"]}]
    if above:
        counties = [u for u in units if u.level == 1]
        cards.append({"key": "threezero_counties", "label": t["counties"],
                      "value": f"{sum(u.three_zero for u in counties)} / {len(counties)}"})
    names = {u.code: u.name for u in units}
    table = None
    if len(code) <= 6 and counts:
        column = {2: t["city"], 4: t["county"]}.get(len(code), t["township"])
        table = {"columns": [column, t["count"]],
                 "rows": [[names.get(c, c), f"{n['three_zero']} / {n['villages']}"] for c, n in sorted(counts.items())]}
    query = urlencode({"format": "geojson", "year": year, "ytd": 1})
    return {"key": "threezero", "title": f"{t['title']} · {year}", "cards": cards, "children": table,
            "items": items, "empty": t["none"],
            "more": t["more"].format(n=len(broken) - len(items)) if len(broken) > len(items) else "",
            "links": [{"label": THREEZERO_PAGE.get(lang, THREEZERO_PAGE["en"]),
                       "href": reverse("analysis-page", args=[code])}],
            "overlay": {"name": t["layer"], "url": reverse("analysis-threezero", args=[code]) + "?" + query}}


THREEZERO_PAGE = {"en": "Three-zero units on the analysis page", "zh-hans": "三零单位详见分析页"}
