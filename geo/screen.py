"""The one check every request passes before any domain code runs: host, text, numbers, dates, JSON depth.

Gridmap's views parse their own parameters (and say precisely what is wrong with a bad area code or an
unknown class), but some inputs are malformed in ways no view should have to think about, and each of
them once reached a place that could not cope: PostgreSQL refuses NUL characters in text (500), a JSON
"\\ud800" is a string Python holds but UTF-8 cannot encode (500), 0001-01-01 and 9999-12-31 overflow
the day before or after (500), JSON nested a few thousand deep exhausts the recursion limit (500), a
number of a thousand digits overflows a float or trips Python's int parser limit (500), and an offset
past 64 bits overflows PostgreSQL's bigint (500). Checking them here, in one place shared by the Django
middleware (ScreenMiddleware) and the WSGI fast path (geo.fastpath), refuses each with a 400 naming the
parameter on every route, including routes added later, by construction.

The rules:

- Host: the same ALLOWED_HOSTS validation Django's HttpRequest.get_host() does (the fast path used to
  serve any Host).
- Text (the path, every query parameter name and value, every form field, every JSON string and key):
  no NUL character and no lone UTF-16 surrogate.
- Dates (any value that reads as an ISO date, month, week or date-time, each end of an interval, each
  item of a comma list): the year is within FIRST_DAY..LAST_DAY, the range the tiles, exports and OGC
  have always accepted (layers.incidents.filters uses the same two dates).
- Numbers (a query value or list item that reads as a number; every JSON number): finite, and a whole
  number fits in 64 bits; no run of more than MAX_DIGITS digits anywhere in a JSON body.
- JSON bodies: nested at most MAX_JSON_DEPTH levels deep (a GeoJSON FeatureCollection of
  MultiPolygons needs 8).

What the rules let through is still checked by the view that takes it; the screen only guarantees that
no value reaching a view is of a kind that could end in a 500.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host

from geo.errors import GridmapError, InvalidInput, error_response, security_headers

# The calendar Gridmap accepts anywhere: wide enough for any boundary's or matter's history, far enough
# from year 1 and year 9999 that a day before, a day after or a time zone shift never overflows.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
MAX_JSON_DEPTH = 32
MAX_DIGITS = 40  # the longest coordinate anyone types has ~20; an area code 16, an address code 17
INT64 = 2 ** 63
# Bodies the screen reads: JSON (whatever the Content-Type says, when it starts like JSON) and the fields
# of forms (a multipart form's files are the view's to check).
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

# Something that reads as a date, as Python's fromisoformat reads one: 2025-01-31, 2025-W05, 2025-W05-1,
# 2025-01-31T10:00:00+08:00, and the basic forms 20250131, 2025W05, 2025W051 (a run of 8 digits only with
# a real month and day, so that most 8-digit numbers are not taken for dates).
DATE_LIKE = re.compile(r"\s*[+-]?(\d{4,})-(?:W\d{2}(?:-?\d)?|\d{2}-\d{2}(?:[T ].*)?)\s*"
                       r"|\s*(\d{4})(?:W\d{2}\d?|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:T.*)?)\s*", re.DOTALL)
NUMBER_LIKE = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
WHOLE = re.compile(r"\s*[+-]?\d+\s*")
# One JSON string token, escapes included; an unterminated one runs to the end (so scanning stays linear).
JSON_STRING = re.compile(rb'"(?:[^"\\]|\\(?:.|\Z))*+(?:"|\Z)', re.DOTALL)
SURROGATE = re.compile("[\ud800-\udfff]")
# What the walk of a parsed body looks for can only be there if the raw text shows one of these: a NUL or a
# surrogate only as a \u escape (raw, they are not valid JSON or UTF-8), a date as a string that starts
# with a year (DATE_START), a number past 64 bits or a double as 19+ digits, a 3-digit exponent
# (LARGE_EXPONENT), NaN or Infinity.
DATE_START = re.compile(rb'"\s*[+-]?[0-9]{4}')
LARGE_EXPONENT = re.compile(rb"[eE][+-]?[0-9]{3}")
DIGITS_AS_NINES = bytes.maketrans(b"012345678", b"999999999")
NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


class Refused(InvalidInput):
    """A request the screen refuses: always a 400 naming the parameter (or Host, or body)."""


def check_host(meta: Mapping[str, Any]) -> None:
    """Django's own Host check (HttpRequest.get_host), on a WSGI environ or request.META."""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in meta:
        host = meta["HTTP_X_FORWARDED_HOST"]
    elif "HTTP_HOST" in meta:
        host = meta["HTTP_HOST"]
    else:
        host = meta.get("SERVER_NAME", "")
        port = str(meta.get("SERVER_PORT", ""))
        if port and port != ("443" if meta.get("wsgi.url_scheme") == "https" else "80"):
            host = f"{host}:{port}"
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    if not (domain and validate_host(domain, allowed)):
        raise Refused(f"Host: {host[:100]!r} is not one of this server's names (GRIDMAP_ALLOWED_HOSTS)",
                      field="Host")


def check_text(value: str, name: str) -> None:
    name = _printable(name)
    if "\x00" in value:
        raise Refused(f"{name}: contains a NUL character (\\u0000), which no text may hold", field=name)
    if SURROGATE.search(value):
        raise Refused(f"{name}: contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character",
                      field=name)


def _printable(name: str) -> str:
    """A parameter's name fit to be echoed in a message (its own NUL or surrogate escaped)."""
    return name.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode()[:60] or "parameter name"


def check_date(value: str, name: str) -> None:
    """A value that reads as a date must fall in FIRST_DAY..LAST_DAY (what it is otherwise, its view says)."""
    match = DATE_LIKE.fullmatch(value)
    if match and not FIRST_DAY.year <= int(match.group(1) or match.group(2)) <= LAST_DAY.year:
        raise Refused(f"{name}: {value.strip()[:40]} is out of range {FIRST_DAY}..{LAST_DAY}, the dates "
                      "Gridmap accepts", field=name)


def check_number(value: str, name: str) -> None:
    """A value that reads as a number must be finite, and a whole number must fit in 64 bits."""
    if not NUMBER_LIKE.fullmatch(value):
        return
    digits = sum(c.isdigit() for c in value)
    if digits > MAX_DIGITS:
        raise Refused(f"{name}: a number of {digits} digits; no parameter takes more than {MAX_DIGITS}", field=name)
    if WHOLE.fullmatch(value):
        if not -INT64 <= int(value) < INT64:
            raise Refused(f"{name}: {value.strip()} is past the 64-bit range (±9223372036854775807)", field=name)
    elif not math.isfinite(float(value)):
        raise Refused(f"{name}: {value.strip()[:40]} overflows a double-precision number", field=name)


# Fields that hold fixed-width digit codes, never numbers: a GB/T 28181 channel id has 20 digits (past 64 bits),
# a room's address code 25, and a camera's code is often its channel id. Their views keep them as text, so the
# 64-bit rule (which guards bigint columns against offsets and ids) would only refuse valid codes, in the
# administrator's forms among others. Text, dates and the digit limit still apply.
CODE_FIELDS = frozenset({"channel_id", "address_code", "code"})


def check_parameter(name: str, value: str) -> None:
    """One query parameter or form field: its name and value as text, each part as a date and a number."""
    check_text(name, name)
    check_text(value, name)
    code = name in CODE_FIELDS and value.isascii() and value.isdigit() and len(value) <= MAX_DIGITS
    for part in _parts(value):
        check_date(part, name)
        if not code:
            check_number(part, name)


def _parts(value: str) -> Iterator[str]:
    """The value, the ends of an interval (a/b) and the items of a list (a,b,c), each as one part."""
    yield value
    if "/" in value or "," in value:
        for piece in re.split(r"[/,]", value):
            if piece != value:
                yield piece


def check_path(path: str) -> None:
    check_text(path, "path")


def check_json(body: bytes) -> None:
    """A JSON body: nesting depth and digit runs on the raw text (before a parser can recurse or choke on
    them), then every key, string and number of the parsed document. Text that is not JSON at all is left
    to the view, whose message says where it breaks. Byte-level (translate, substring search) so that a
    drawn boundary of 100,000 vertices costs milliseconds."""
    skeleton = JSON_STRING.sub(b'""', body)
    depth = _depth(skeleton.translate(None, NOT_BRACKETS))
    if depth > MAX_JSON_DEPTH:
        raise Refused(f"body: JSON nested {depth} levels deep; at most {MAX_JSON_DEPTH} are accepted", field="body")
    digits = skeleton.translate(DIGITS_AS_NINES)
    if b"9" * (MAX_DIGITS + 1) in digits:
        raise Refused(f"body: a number of more than {MAX_DIGITS} digits; no field takes that many", field="body")
    # An exponent is an e or E outside strings that is not in true or false.
    exponents = b"E" in skeleton or skeleton.count(b"e") > skeleton.count(b"true") + skeleton.count(b"false")
    suspect = (b"9" * 19 in digits or b"NaN" in skeleton or b"Infinity" in skeleton
               or (exponents and LARGE_EXPONENT.search(skeleton)) or b"\\u" in body or DATE_START.search(body))
    if not suspect:
        return  # nothing a rule below could refuse
    try:
        # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
        document = json.loads(body, parse_constant=lambda text: math.nan)
    except ValueError:  # not JSON (or not UTF-8): the view says so in its own words
        return
    for name, value in _walk(document, ""):
        name = name or "body"
        if isinstance(value, str):
            check_text(value, name)
            check_date(value, name)
        elif isinstance(value, int):
            if not -INT64 <= value < INT64:
                raise Refused(f"{name}: {value} is past the 64-bit range (±9223372036854775807)", field=name)
        elif not math.isfinite(value):
            raise Refused(f"{name}: a number that is not finite (NaN, Infinity, or past ±1.8e308)", field=name)


def _depth(brackets: bytes) -> int:
    """How deep the brackets nest: innermost pairs are removed a level at a time (each pass in C), at most
    MAX_JSON_DEPTH + 1 passes; only a deeper or unbalanced text is counted bracket by bracket."""
    level = 0
    while brackets and level <= MAX_JSON_DEPTH:
        inner = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if inner == brackets:  # unbalanced (not JSON): the view will say so; count what is left as is
            break
        brackets, level = inner, level + 1
    return level + max(accumulate(1 if b in b"[{" else -1 for b in brackets), default=0)


def _walk(value: Any, name: str) -> Iterable[tuple[str, Any]]:
    """(field, value) for every string and number of a JSON document, keys included; the field is the
    top-level member (boundary, description...), the one a caller can act on. Depth is bounded above."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield name, key  # a key is named by what holds it (the body, for a top-level key)
            yield from _walk(item, name or key)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, name)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield name, value


def looks_like_json(body: bytes) -> bool:
    return body.lstrip()[:1] in (b"{", b"[")


def check_request(*, meta: Mapping[str, Any], path: str, params: Iterable[tuple[str, str]],
                  form: Iterable[tuple[str, str]] = (), body: bytes | None = None) -> None:
    """Every rule above, on one request. `params` are the query's (name, value) pairs, `form` a form body's
    fields; `body` a body that is not a form, None when it was not read (too large to screen: the view
    refuses it by its size)."""
    check_host(meta)
    check_path(path)
    for name, value in params:
        check_parameter(name, value)
    for name, value in form:
        check_parameter(name, value)
    if body and looks_like_json(body):
        check_json(body)


class ScreenMiddleware:
    """check_request() on every Django request, before sessions, CSRF, views. Placed right after
    SecurityMiddleware and WhiteNoise (static files are not domain code), so even a refused request
    gets the security headers (the inner XFrameOptionsMiddleware's is added here)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            if request.method == "POST" and request.content_type in FORMS:
                # Parsed once by Django (TokenCsrfExemptMiddleware and the view read the same QueryDict);
                # a form over Django's limits raises its own 400 (handler400) here.
                form, body = _pairs(request.POST), None
            else:
                form, body = (), _django_body(request)
            check_request(meta=request.META, path=request.path_info, params=_pairs(request.GET), form=form,
                          body=body)
        except GridmapError as exc:
            response = error_response(exc)
            for name, value in security_headers().items():
                response.headers.setdefault(name, value)
            return response
        return self.get_response(request)


def _pairs(query) -> Iterator[tuple[str, str]]:
    return ((name, value) for name, values in query.lists() for value in values)


def _django_body(request: HttpRequest) -> bytes | None:
    """The body, when the screen should read it: a declared length within Django's own limit."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if not declared.isdigit() or int(declared) == 0:
        return None
    if int(declared) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return None
    return request.body
