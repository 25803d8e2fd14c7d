"""Request and response plumbing every app's views share: JSON bodies, days, JSON answers.

One parser per kind of value, so a bad body or a bad date reads the same whichever door it came in by
(grids' planner, the incident API, the dashboards, the tiles' filters), and names the field. geo.screen
has already refused what no value may hold (NUL bytes, surrogates, absurd numbers and years, deep JSON)
before a view runs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo.errors import InvalidInput, PayloadTooLarge
from geo.screen import FIRST_DAY, LAST_DAY

JSON_TYPES = ("application/json", "application/geo+json")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_json(content_type: str) -> bool:
    """Whether a Content-Type header (parameters and all) names a JSON body."""
    return content_type.split(";", 1)[0].strip().lower() in JSON_TYPES


def check_length(declared: str, max_bytes: int, what: str) -> None:
    """Refuse a body by its declared length, before it is read."""
    if not declared.isdigit():
        raise InvalidInput(_("body: the Content-Length header is not a number"), field="body")
    if int(declared) > max_bytes:
        raise PayloadTooLarge(_("body: {declared} bytes is more than the {max} bytes {what} may have").format(
            declared=declared, max=max_bytes, what=what), field="body")


def parse_json(body: bytes, *, max_bytes: int | None = None, what: str = gettext_lazy("a request"),
               empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON object body. An empty body is `empty` when given (intake then names the missing fields),
    and refused otherwise."""
    if max_bytes is not None and len(body) > max_bytes:  # a chunked upload declares no length
        raise PayloadTooLarge(_("body: more than the {max} bytes {what} may have").format(max=max_bytes, what=what),
                              field="body")
    if not body.strip():
        if empty is not None:
            return empty
        raise InvalidInput(_("body: empty; send a JSON object"), field="body")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(_("body: not valid JSON ({reason})").format(reason=exc), field="body") from exc
    if not isinstance(data, dict):
        raise InvalidInput(_("body: expected a JSON object, got {type}").format(type=type(data).__name__),
                           field="body")
    return data


def parse_day(value: Any, field: str) -> dt.date | None:
    """A day as YYYY-MM-DD in FIRST_DAY..LAST_DAY (the range every date filter takes), or None when
    absent. The one date parser of the query strings and bodies that take days."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and DAY.fullmatch(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
        if day is not None:
            if not FIRST_DAY <= day <= LAST_DAY:
                raise InvalidInput(_("{field}: {value} is out of range {first}..{last}").format(
                    field=field, value=value, first=FIRST_DAY, last=LAST_DAY), field=field)
            return day
    raise InvalidInput(_("{field}: {value!r} is not a date; use YYYY-MM-DD").format(field=field, value=value),
                       field=field)


def answer(data: Any, status: int = 200, content_type: str = "application/json",
           headers: dict[str, str] | None = None) -> JsonResponse:
    """JSON with Chinese names readable as they are (no \\u escapes); lists allowed."""
    return JsonResponse(data, status=status, safe=False, content_type=content_type, headers=headers,
                        json_dumps_params={"ensure_ascii": False})
