"""Request plumbing for the incident views: an incident's body, read with geo.http's parsers.

Kept apart from the views so that each view stays: parse, call one domain function, answer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from geo import http
from geo.http import answer, is_json  # noqa: F401  (the views' names for them)

# An incident report is a point and a few lines of text; 64 KiB leaves room for a long description
# and refuses a runaway upload before it is parsed.
MAX_BODY_BYTES = 64 * 1024
WHAT = gettext_lazy("an incident")  # in a message: "... the 65536 bytes an incident may have"


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request's fields: a JSON object, or form fields (curl -d, Open311 clients)."""
    check_length(request.META.get("CONTENT_LENGTH") or "0")
    if is_json(request.content_type):
        return parse_json(request.body)
    return {key: request.POST.get(key) for key in request.POST}


def check_length(declared: str) -> None:
    """Refuse a body by its declared length, before it is read."""
    http.check_length(declared, MAX_BODY_BYTES, WHAT)


def parse_json(body: bytes) -> dict[str, Any]:
    """A JSON object body (an empty body is an empty object, so the missing fields are named)."""
    return http.parse_json(body, max_bytes=MAX_BODY_BYTES, what=WHAT, empty={})
