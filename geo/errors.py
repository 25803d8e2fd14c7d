"""Domain errors and the one table that maps them to HTTP statuses.

Every layer raises these (never a bare Exception); JsonErrorMiddleware renders them as
{"error": {"code": ..., "message": ..., "field": ...}} with the status from the table, so an API
client, a map and a person at a terminal all read the same message. Management commands turn them
into CommandError with the same text.

Two exceptions from outside the domain are in the table too: a database that does not answer
(restarting, unreachable) is a 503 with Retry-After, never a 500 with a traceback, wherever it
surfaces (a view, a middleware, the fast path); and Django's own 400/404/500 answers (handler400,
handler404, handler500 in geo.urls) take the same JSON shape on API paths.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import psycopg
from django import db
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure

log = logging.getLogger(__name__)


class GridmapError(Exception):
    """Base of all domain errors: a stable code, a message a person can act on, an optional field."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, detail: Any = None) -> None:
        message = str(message)  # a lazy translation is rendered now, in the request's language
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.detail is not None:
            body["detail"] = self.detail
        return {"error": body}


class InvalidInput(GridmapError):
    """A parameter or body that cannot be understood (malformed number, unknown value...)."""

    code = "invalid_input"


class InvalidGeometry(GridmapError):
    """A geometry that cannot be parsed, is not valid, is in the wrong CRS or out of range."""

    code = "invalid_geometry"


class InvalidCode(GridmapError):
    """An area, address or grid code that breaks the code rules or disagrees with its parent."""

    code = "invalid_code"


class PayloadTooLarge(GridmapError):
    status = 413
    code = "payload_too_large"


# What an anonymous caller is told, whichever check stops them.
AUTHENTICATE = gettext_lazy("log in, or send an API token (Authorization: Bearer <token>, or ?token=)")


class NotAuthenticated(GridmapError):
    status = 401
    code = "not_authenticated"


class Forbidden(GridmapError):
    status = 403
    code = "forbidden"


class NotFound(GridmapError):
    status = 404
    code = "not_found"


class Conflict(GridmapError):
    """The request is understood but the current state forbids it (a wrong loop transition...)."""

    status = 409
    code = "conflict"


class TooManyRequests(GridmapError):
    status = 429
    code = "rate_limited"


class Unavailable(GridmapError):
    """The database does not answer: the request may well succeed in a few seconds (Retry-After)."""

    status = 503
    code = "unavailable"


# How long a client should wait before retrying when the database is away: a restart takes a few seconds.
RETRY_AFTER_SECONDS = int(getattr(settings, "GRIDMAP_RETRY_AFTER", 5))
# What a lost or refused connection raises: Django's wrappers, and psycopg's own from code that uses it
# directly. Errors in a statement (a constraint, a syntax error) are other classes and stay 500s.
DATABASE_DOWN = (db.OperationalError, db.InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


def database_unavailable(exc: BaseException) -> Unavailable | None:
    """The 503 to answer when `exc` (or what it was raised from) says the database cannot be reached."""
    while exc is not None:
        if isinstance(exc, DATABASE_DOWN):
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            log.warning("database unavailable, answered 503: %s", first_line)
            return Unavailable(_("the database is unavailable (restarting or unreachable); retry in {seconds} s")
                               .format(seconds=RETRY_AFTER_SECONDS), detail={"retry_after": RETRY_AFTER_SECONDS})
        exc = exc.__cause__ or exc.__context__
    return None


def error_response(exc: GridmapError) -> JsonResponse:
    response = JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    if isinstance(exc, (TooManyRequests, Unavailable)) and isinstance(exc.detail, dict) \
            and "retry_after" in exc.detail:
        response["Retry-After"] = str(exc.detail["retry_after"])
    return response


def unavailable_response(request: HttpRequest, exc: Unavailable) -> HttpResponse:
    """The 503: JSON on API paths, a short page elsewhere (a dashboard on a wall screen reloads itself)."""
    if _wants_json(request):
        return error_response(exc)
    response = HttpResponse(
        "<!doctype html><meta charset=utf-8><title>503</title><h1>服务暂不可用 Service unavailable</h1>"
        f"<p>数据库暂时无法连接，请稍后重试。{exc.message}.</p>", status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def from_django_validation(exc: DjangoValidationError) -> GridmapError:
    """Django's ValidationError (from model validation) as an InvalidInput with per-field messages."""
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        first_field, messages = next(iter(fields.items()))
        field = None if first_field == "__all__" else first_field
        return InvalidInput("; ".join(messages), field=field, detail=fields)
    return InvalidInput("; ".join(exc.messages))


class JsonErrorMiddleware:
    """Render domain errors as JSON. Other exceptions are left to Django (logged, 500)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, GridmapError):
            return error_response(exc)
        if isinstance(exc, DjangoValidationError):
            return error_response(from_django_validation(exc))
        unavailable = database_unavailable(exc)
        if unavailable is not None:
            return unavailable_response(request, unavailable)
        if _wants_json(request):
            if isinstance(exc, Http404):
                return error_response(NotFound(str(exc) or _("not found")))
            if isinstance(exc, PermissionDenied):
                return error_response(Forbidden(str(exc) or _("forbidden")))
        return None


# Path prefixes answered in JSON (errors included): each app registers its own in ready().
JSON_PATHS: list[str] = ["/api/", "/healthz"]


def json_paths(*prefixes: str) -> None:
    """Declare path prefixes whose errors are JSON (an app's API: /tiles/, /ogc/, /open311/...)."""
    JSON_PATHS.extend(p for p in prefixes if p not in JSON_PATHS)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(tuple(JSON_PATHS))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the URL resolver's 404 (a path no route matches) in JSON on API paths."""
    if _wants_json(request):
        return error_response(NotFound(_("no such path: {path}; /api/openapi.json lists the API's paths (and "
                                         "/ogc/api those of OGC API - Features)").format(path=request.path[:200])))
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: Django's own refusals (too many fields, a body over the size limit...) in JSON on API
    paths."""
    if _wants_json(request):
        return error_response(InvalidInput(str(exception) or _("bad request"), field="body"))
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an exception no view or middleware turned into an answer. A database that is away is
    a 503 (logged as one warning line, not a traceback: the response is marked as logged); anything else
    stays a 500, logged with its traceback by Django, in JSON on API paths."""
    unavailable = database_unavailable(sys.exc_info()[1])
    if unavailable is not None:
        response = unavailable_response(request, unavailable)
        response._has_been_logged = True  # django.utils.log.log_response: no "Internal Server Error" line
        return response
    if _wants_json(request):
        return JsonResponse({"error": {"code": "internal_error", "message": _("internal error; it has been logged")}},
                            status=500)
    return defaults.server_error(request)


def security_headers() -> dict[str, str]:
    """The headers Django's SecurityMiddleware and XFrameOptionsMiddleware add to every response (HSTS,
    which Django adds only when SECURE_HSTS_SECONDS is set, is not: Gridmap leaves TLS to its proxy).
    Used by the fast path and by the screen's refusals, which answer before those middlewares run."""
    headers = {}
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        headers["Referrer-Policy"] = policy if isinstance(policy, str) else ",".join(policy)
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    headers["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()
    return headers


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: API paths answer in JSON, and a caller with neither a session nor a
    token is told to authenticate (401), not that a cookie is missing. Pages keep Django's 403 page."""
    if not _wants_json(request):
        return django_csrf_failure(request, reason)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return error_response(NotAuthenticated(AUTHENTICATE))
    return error_response(Forbidden(
        _("CSRF check failed ({reason}): a logged-in page must send its CSRF token; scripts should send an "
          "API token (Authorization: Bearer <token>) instead of a session cookie").format(reason=reason)))
