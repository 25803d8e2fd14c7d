"""Domain errors and the one table that maps them to HTTP statuses.

Every layer raises these (never a bare Exception); JsonErrorMiddleware renders them as
{"error": {"code": ..., "message": ..., "field": ...}} with the status from the table, so an API
client, a map and a person at a terminal all read the same message. Management commands turn them
into CommandError with the same text.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.defaults import page_not_found

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


def error_response(exc: GridmapError) -> JsonResponse:
    response = JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    if isinstance(exc, TooManyRequests) and isinstance(exc.detail, dict) and "retry_after" in exc.detail:
        response["Retry-After"] = str(exc.detail["retry_after"])
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
        if _wants_json(request):
            if isinstance(exc, Http404):
                return error_response(NotFound(str(exc) or _("not found")))
            if isinstance(exc, PermissionDenied):
                return error_response(Forbidden(str(exc) or _("forbidden")))
        return None


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/tiles/", "/ogc/", "/open311/", "/healthz"))


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



def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: a path no URL pattern matches answers like any other 404 of the API (JSON) on API paths.

    The resolver's 404 is raised before any view runs, so JsonErrorMiddleware.process_exception never sees
    it; pages keep Django's 404 page."""
    if _wants_json(request):
        return error_response(NotFound(_("no such path: {path}; /api/openapi.json lists the API's paths").format(
            path=request.path)))
    return page_not_found(request, exception)
