"""A WSGI fast path for tile requests that carry an API token.

Map clients fetch tiles by the hundred per second. Django's full middleware stack (sessions,
CSRF, messages...) costs more than serving a cached tile, so token-authenticated GETs of
/tiles/<layers>/<z>/<x>/<y>.pbf are answered here by the same tiles.service.tile() the Django view
uses: same checks, same cache, same errors. Anything else (session cookies, other paths) goes to
Django unchanged.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from django.core import signals

from geo.access import access_for_token
from geo.errors import GridmapError, NotAuthenticated
from tiles import service

TILE_PATH = re.compile(r"^/tiles/([a-z_]+(?:,[a-z_]+)*)/(-?\d+)/(-?\d+)/(-?\d+)\.(?:pbf|mvt)$")
REASONS = {200: "OK", 204: "No Content", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found"}


def _token(environ: dict, params: dict) -> str | None:
    scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() in {"bearer", "token"} and value.strip():
        return value.strip()
    return params.get("token")


class TileFastPath:
    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        match = TILE_PATH.match(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") != "GET" or match is None:
            return self.app(environ, start_response)
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        key = _token(environ, params)
        if key is None:
            return self.app(environ, start_response)
        # The same signals Django's handler sends: they recycle stale database connections.
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            status, headers, body = self._serve(match, params, key, environ)
        finally:
            signals.request_finished.send(sender=self.__class__)
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} {REASONS.get(status, '')}", list(headers.items()))
        return [body]

    def _serve(self, match, params: dict, key: str, environ: dict) -> tuple[int, dict, bytes]:
        layers, z, x, y = match.groups()
        try:
            access = access_for_token(key)
            if access is None:
                raise NotAuthenticated("the API token is unknown or revoked")
            result = service.tile(layers, z, x, y, params, access,
                                  accepts_gzip="gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""),
                                  if_none_match=environ.get("HTTP_IF_NONE_MATCH"))
        except GridmapError as exc:
            body = json.dumps(exc.as_dict(), ensure_ascii=False).encode()
            return exc.status, {"Content-Type": "application/json"}, body
        return result.status, result.headers, result.body
