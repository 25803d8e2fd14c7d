"""Request parsing shared by the grids views: JSON bodies, dates, levels, CSRF for session callers.

Every function raises a GridmapError subclass with a message naming the field, so a bad request is a
400 that says what to fix, never a 500.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from geo import http
from geo.access import token_from_request
from geo.errors import Forbidden, InvalidInput
from grids.codes import Level

LEVEL_NAMES = {"province": Level.PROVINCE, "city": Level.CITY, "county": Level.COUNTY, "township": Level.TOWNSHIP,
               "village": Level.VILLAGE,
               "grid": Level.GRID, "dedicated": Level.DEDICATED}


def json_response(body: Any, status: int = 200) -> JsonResponse:
    """JSON with Chinese names readable as they are (no \\u escapes): geo.http.answer."""
    return http.answer(body, status=status)


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object (geo.http.parse_json: one wording for every API); 400 otherwise."""
    return http.parse_json(request.body)


def parse_date(value: Any, field: str) -> dt.date | None:
    """YYYY-MM-DD, or None when absent (geo.http.parse_day)."""
    return http.parse_day(value, field)


def parse_not_future(value: Any, field: str) -> dt.date:
    """A date that is today or earlier (today when absent).

    A boundary that starts in the future would need the current boundary to stay in force until
    then, and Gridmap keeps one current boundary per area: schedule the change and commit it on
    the day instead.
    """
    today = timezone.localdate()
    date = parse_date(value, field) or today
    if date > today:
        raise InvalidInput(_("{field} {date} is in the future; commit the change on the day it takes effect").format(
            field=field, date=date), field=field)
    return date


def parse_level(value: Any, field: str = "level") -> Level | None:
    """A level by number (0-5: 0 is a city; a province, -1, only by name) or name (province, city, county,
    township, village, grid, dedicated)."""
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    if text in LEVEL_NAMES:
        return LEVEL_NAMES[text]
    if text.isascii() and text.isdigit() and int(text) in Level.values:
        return Level(int(text))
    raise InvalidInput(_("{field}: unknown level {value!r}; use 1-5 or {names}").format(
        field=field, value=value, names=", ".join(LEVEL_NAMES)), field=field)


def parse_text(data: dict[str, Any], field: str, *, required: bool = False, max_length: int = 200) -> str:
    value = data.get(field)
    if value is None or value == "":
        if required:
            raise InvalidInput(_("{field} is required").format(field=field), field=field)
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("{field} must be a string, got {type}").format(field=field, type=type(value).__name__),
                           field=field)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(_("{field} is longer than {max} characters").format(field=field, max=max_length),
                           field=field)
    return value


def parse_bool(data: dict[str, Any], field: str, default: bool = False) -> bool:
    value = data.get(field, default)
    if not isinstance(value, bool):
        raise InvalidInput(_("{field} must be true or false, got {value!r}").format(field=field, value=value),
                           field=field)
    return value


def parse_number(value: Any, field: str, *, minimum: float = 0.0, maximum: float | None = None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("{field} must be a number, got {value!r}").format(field=field, value=value),
                           field=field) from exc
    if number != number or number < minimum or (maximum is not None and number > maximum):
        bound = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidInput(_("{field} must be {bound}, got {value!r}").format(field=field, bound=bound, value=value),
                           field=field)
    return number


def api_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POST-only API view: CSRF is checked for session callers, not for API-token callers.

    A bearer token is not sent by the browser on its own, so token requests cannot be forged
    across sites; a session cookie is, so the planner page's requests carry the CSRF token.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            response = JsonResponse({"error": {"code": "method_not_allowed", "message": _("use POST")}}, status=405,
                                    json_dumps_params={"ensure_ascii": False})
            response["Allow"] = "POST"
            return response
        if token_from_request(request) is None:
            rejected = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
            if rejected is not None:
                raise Forbidden(_("CSRF check failed: send the X-CSRFToken header (or use an API token)"))
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
