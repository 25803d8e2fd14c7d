"""The fast-path route for tiles: token GETs of /tiles/<layers>/<z>/<x>/<y>.pbf (see geo.fastpath).

Answered by the same tiles.service.tile() the Django view uses: same checks, same cache, same errors.
"""

from __future__ import annotations

import re

from geo.fastpath import Answer, FastRequest, Route, register
from tiles import service
from tiles.urls import TILE

TILE_PATH = re.compile(rf"^/{TILE}\Z")


def serve_tile(request: FastRequest) -> Answer:
    layers, z, x, y = (request.match[name] for name in ("layers", "z", "x", "y"))
    environ = request.environ
    result = service.tile(layers, z, x, y, request.params, request.access,
                          accepts_gzip="gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""),
                          if_none_match=environ.get("HTTP_IF_NONE_MATCH"))
    return result.status, result.headers, result.body


ROUTES = [Route("GET", TILE_PATH, serve_tile)]
register(*ROUTES)
