"""The period and incident class a dashboard shows, parsed from GET parameters.

A period is a run of whole local days (China Standard Time, the day the centers work in), `since` and
`until` both inclusive, as the tile filters take them, so the map's tiles and the page's figures
always count the same incidents. Every figure is compared with the period of the same length just
before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from geo.errors import InvalidInput
from geo.http import parse_day
from layers.figures import compare
from layers.models import Incident

PRESETS = ("today", "7d", "30d", "year")
CLASSES = tuple(c for c, _ in Incident.Category.choices)
MAX_DAYS = 366 * 5


def local_today() -> dt.date:
    return timezone.localdate()


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date  # inclusive
    preset: str = ""  # the preset it came from, "" for explicit dates

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """The period before this one (环比): the same number of whole months before a run of whole months,
        else the same number of days ending the day before this one starts (layers/figures/compare.py)."""
        return Period(*compare.previous_days(self.since, self.until))

    def year_before(self) -> Period:
        """The same days a year before (同比; layers/figures/compare.py: month ends stay month ends)."""
        return Period(*compare.year_before_days(self.since, self.until))

    def start(self) -> dt.datetime:
        """First instant, as an aware datetime (local midnight)."""
        return dt.datetime.combine(self.since, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    def end(self) -> dt.datetime:
        """First instant after the period (exclusive)."""
        return dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    def bucket(self) -> str:
        """The chart's time step: days up to two months, months beyond (the rollup's grain, so a year's
        chart costs what a month's does)."""
        return "day" if self.days <= 62 else "month"


def preset_period(name: str, today: dt.date | None = None) -> Period:
    today = today or local_today()
    if name == "today":
        return Period(today, today, name)
    if name == "7d":
        return Period(today - dt.timedelta(days=6), today, name)
    if name == "30d":
        return Period(today - dt.timedelta(days=29), today, name)
    if name == "year":
        return Period(today.replace(month=1, day=1), today, name)
    raise InvalidInput(f"period: unknown value {name!r}; use one of {', '.join(PRESETS)}", field="period")


def _date(params: Mapping[str, str], name: str) -> dt.date | None:
    return parse_day(params.get(name), name)


def parse_period(params: Mapping[str, str], default: str = "today") -> Period:
    """Explicit since/until win over a preset; a lone since runs to today, a lone until is one day."""
    since, until = _date(params, "since"), _date(params, "until")
    if since is None and until is None:
        return preset_period(params.get("period") or default)
    if since is None:
        since = until
    until = until or local_today()
    if until < since:
        raise InvalidInput(f"until ({until}) is before since ({since})", field="until")
    if (until - since).days > MAX_DAYS:
        raise InvalidInput("since..until spans more than five years", field="since")
    return Period(since, until)


def parse_class(params: Mapping[str, str]) -> str:
    """One incident class, or "" for all of them."""
    value = params.get("class") or ""
    if value and value not in CLASSES:
        raise InvalidInput(f"class: unknown value {value!r}; use one of {', '.join(CLASSES)}", field="class")
    return value


def parse_week(params: Mapping[str, str]) -> dt.date:
    """The Monday of the ranking week: the week holding ?week=<any date>, else the last complete week."""
    day = _date(params, "week")
    if day is None:
        day = local_today() - dt.timedelta(days=7)
    return day - dt.timedelta(days=day.weekday())


def tile_filters(period: Period, category: str) -> str:
    """The tile endpoint's query string for the same incidents the page counts."""
    params = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    if category:
        params["class"] = category
    return urlencode(params)


def page_query(period: Period, category: str, **extra: str) -> str:
    """The query string that keeps a page's period and class when following a link."""
    params = {"period": period.preset} if period.preset else {"since": period.since.isoformat(),
                                                              "until": period.until.isoformat()}
    if category:
        params["class"] = category
    params.update({k: v for k, v in extra.items() if v})
    return urlencode(params)
