"""Request and response plumbing for the incident views: bodies and JSON answers.

Kept apart from the views so that each view stays: parse, call one domain function, answer.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from geo.errors import InvalidInput, PayloadTooLarge

# An incident report is a point and a few lines of text; 64 KiB leaves room for a long description
# and refuses a runaway upload before it is parsed.
MAX_BODY_BYTES = 64 * 1024
JSON_TYPES = ("application/json", "application/geo+json")


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request's fields: a JSON object, or form fields (curl -d, Open311 clients)."""
    check_length(request.META.get("CONTENT_LENGTH") or "0")
    if request.content_type in JSON_TYPES:
        return parse_json(request.body)
    return {key: request.POST.get(key) for key in request.POST}


def check_length(declared: str) -> None:
    """Refuse a body by its declared length, before it is read."""
    if not declared.isdigit():
        raise InvalidInput(_("body: the Content-Length header is not a number"), field="body")
    if int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(_("body: {declared} bytes is more than the {max} bytes an incident may have").format(
            declared=declared, max=MAX_BODY_BYTES), field="body")


def parse_json(body: bytes) -> dict[str, Any]:
    """A JSON object body (an empty body is an empty object, so the missing fields are named)."""
    if len(body) > MAX_BODY_BYTES:  # a chunked upload declares no length
        raise PayloadTooLarge(_("body: more than the {max} bytes an incident may have").format(max=MAX_BODY_BYTES),
                              field="body")
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(_("body: not valid JSON ({reason})").format(reason=exc), field="body") from exc
    if not isinstance(data, dict):
        raise InvalidInput(_("body: expected a JSON object, got {type}").format(type=type(data).__name__), field="body")
    return data


def is_json(content_type: str) -> bool:
    """Whether a Content-Type header (parameters and all) names a JSON body."""
    return content_type.split(";", 1)[0].strip().lower() in JSON_TYPES


def answer(data: Any, status: int = 200, content_type: str = "application/json",
           headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, content_type=content_type, headers=headers,
                        json_dumps_params={"ensure_ascii": False})
