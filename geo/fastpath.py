"""A WSGI fast path for the hot token-authenticated API calls: map tiles and incident intake.

Map clients fetch tiles by the hundred per second and phones post reports by the hundred per second in
a busy hour. For requests that small, Django's full stack (request object, sessions, CSRF, messages,
URL resolution, response object) costs as much CPU as the work itself: measured on the 2-core box it
was about a third of the web worker's share of an intake. So a request that carries an API token and
matches one of a few routes is answered here, by the same domain functions the Django views call: same
access checks, same errors (rendered by the same geo.errors.error_response), same security headers.
Anything else (session cookies, other paths, bodies the route does not take) goes to Django unchanged.

Before a handler runs, the request passes geo.screen.check_request, the same screen Django's
ScreenMiddleware applies (Host against ALLOWED_HOSTS, NUL and surrogates in text, dates, numbers,
JSON depth), and a database that does not answer is the same 503 with Retry-After as in Django.

Each app registers its routes when it is ready (tiles.fastpath, layers.incidents.fastpath call register());
geo.wsgi puts whatever is registered in front of Django, so geo imports no app above it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.translation import gettext as _

from geo import i18n, replica, screen
from geo.access import Access, access_for_token
from geo.errors import GridmapError, NotAuthenticated, database_unavailable, error_response, security_headers

log = logging.getLogger("django.request")  # where Django logs the errors of its own views

# (status, headers, body) — what a route handler returns.
Answer = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class FastRequest:
    """What a route handler gets: the caller, the path's match, the query, and the WSGI environ."""

    access: Access
    match: re.Match
    params: dict[str, str]
    environ: dict[str, Any]
    raw_body: bytes | None = None

    def body(self) -> bytes:
        """The request body: Content-Length bytes (already read when the screen checked it). The route's
        `accepts` made sure the length is declared (uploads without one go to Django); the handler checks
        it against its limit before reading."""
        if self.raw_body is not None:
            return self.raw_body
        length = int(self.environ.get("CONTENT_LENGTH") or 0)
        return self.environ["wsgi.input"].read(length) if length else b""


@dataclass(frozen=True)
class Route:
    """A method and path the fast path answers. `accepts(environ)` may pass a request on to Django
    (say, a form-encoded body that only the Django view parses)."""

    method: str
    path: re.Pattern
    handler: Callable[[FastRequest], Answer]
    accepts: Callable[[dict[str, Any]], bool] = lambda environ: True


def json_answer(status: int, data: Any, content_type: str = "application/json",
                headers: dict[str, str] | None = None) -> Answer:
    """A JSON answer encoded exactly as the views' JsonResponse encodes it."""
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    return status, {"Content-Type": content_type, **(headers or {})}, body


def declares_length(environ: dict[str, Any]) -> bool:
    """A body with a Content-Length: a chunked upload (none declared) is left to Django's stream handling."""
    return environ.get("CONTENT_LENGTH", "").isdigit()


def token(environ: dict[str, Any], params: dict[str, str]) -> str | None:
    scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() in {"bearer", "token"} and value.strip():
        return value.strip()
    return params.get("token") or params.get("api_key")


_ROUTES: list[Route] = []


def register(*routes: Route) -> None:
    """Add routes to the fast path (an app's ready() imports its fastpath module, which calls this)."""
    _ROUTES.extend(route for route in routes if route not in _ROUTES)


def registered() -> tuple[Route, ...]:
    return tuple(_ROUTES)


class FastPath:
    def __init__(self, app, routes: Iterable[Route]) -> None:
        self.app = app
        self.routes = tuple(routes)
        self.headers = security_headers()  # settings do not change under a running process

    def __call__(self, environ, start_response):
        route, match = self._route(environ)
        if route is None:
            return self.app(environ, start_response)
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = dict(pairs)
        key = token(environ, params)
        if key is None:
            return self.app(environ, start_response)
        # The same signals Django's handler sends: they recycle stale database connections.
        signals.request_started.send(sender=self.__class__, environ=environ)
        language = i18n.from_environ(environ, params)  # as geo.i18n.LanguageMiddleware chooses it
        try:
            # Tiles may read from the standby, an intake's answer never (geo/replica.py): as in Django.
            with translation.override(language), replica.reads_for(environ.get("REQUEST_METHOD", ""),
                                                                    environ.get("PATH_INFO", "")):
                status, headers, body = self._serve(route, match, pairs, key, environ)
        finally:
            signals.request_finished.send(sender=self.__class__)
        headers.setdefault("Content-Language", language)
        for name, value in self.headers.items():
            headers.setdefault(name, value)
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return [body]

    def _route(self, environ) -> tuple[Route | None, re.Match | None]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
        for route in self.routes:
            if route.method == method:
                match = route.path.fullmatch(path)  # `$` alone would let "...\n" through
                if match is not None and route.accepts(environ):
                    return route, match
        return None, None

    @staticmethod
    def _serve(route: Route, match: re.Match, pairs: list[tuple[str, str]], key: str, environ: dict) -> Answer:
        try:
            raw_body = _screened_body(environ)
            screen.check_request(meta=environ, path=environ.get("PATH_INFO", ""), params=pairs, body=raw_body)
            access = access_for_token(key)
            if access is None:
                raise NotAuthenticated(_("the API token is unknown or revoked"))
            return route.handler(FastRequest(access, match, dict(pairs), environ, raw_body))
        except GridmapError as exc:
            response = error_response(exc)
            return response.status_code, dict(response.items()), response.content
        except Exception as exc:
            unavailable = database_unavailable(exc)
            if unavailable is not None:
                response = error_response(unavailable)
                return response.status_code, dict(response.items()), response.content
            # What Django does with an unexpected error (log it with the traceback, answer 500), in JSON.
            log.exception("Internal Server Error: %s", environ.get("PATH_INFO"))
            return json_answer(500, {"error": {"code": "internal_error",
                                               "message": _("internal error; it has been logged")}})


def _screened_body(environ: dict[str, Any]) -> bytes | None:
    """The body, read once for the screen and the handler; None (left unread) when no length is declared
    or it is over Django's limit: the handler refuses those by their size before reading."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if not declared.isdigit() or not 0 < int(declared) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return None
    return environ["wsgi.input"].read(int(declared))
