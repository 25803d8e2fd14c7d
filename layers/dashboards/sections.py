"""Panels that apps above layers add to the dashboard pages (people's counts, issue 18).

layers may not import those apps (tests/geo/test_layering.py), so they hand a function over in their
AppConfig.ready(): `provide(panel)`, where panel(access, unit_code, lang) returns
{"title": str, "cards": [{"key", "label", "value"}], "children": {"columns": [...], "rows": [[...]]} or None}.
A panel may add "items": [{"text", "href"}] (a list of sentences, "empty" shown when there are none,
"more" after the list when it is cut short),
"links": [{"label", "href"}], and "overlay": {"name", "url"} — a GeoJSON layer the map offers in its
layer switcher, off by default and fetched only when switched on (the warnings of issue 20); and may
return None where it has nothing to show that user or page.
Each panel is responsible for what it shows to whom (the people panel hides small key-group counts
from users without the personal-data right, as every people path does).
"""

from __future__ import annotations

from typing import Any

PANELS: list[Any] = []
# Panels provided with `departments=False`: not drawn for a department account (see
# layers.figures.stats.CLOSED_TO_DEPARTMENTS).
CLOSED_TO_DEPARTMENTS: list[Any] = []


def provide(panel, *, departments: bool = True) -> None:
    if panel not in PANELS:
        PANELS.append(panel)
    if not departments and panel not in CLOSED_TO_DEPARTMENTS:
        CLOSED_TO_DEPARTMENTS.append(panel)


# Every key the template reads, so a panel that leaves one out gets None rather than the dict's method of that
# name: Django's template lookup falls back from panel["items"] to panel.items(), which drew a list of blank
# bullets under the people panel.
DEFAULTS: dict[str, Any] = {"children": None, "items": None, "empty": "", "more": None, "links": [], "overlay": None}


def panels(access, code: str, lang: str, *, children: bool = False) -> list[dict[str, Any]]:
    shown = (panel(access, code, lang, children=children) for panel in PANELS
             if not (access.narrowed and panel in CLOSED_TO_DEPARTMENTS))
    return [{**DEFAULTS, **p} for p in shown if p is not None]
