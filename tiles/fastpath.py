"""The fast-path route for tiles: token GETs of /tiles/<layers>/<z>/<x>/<y>.pbf (see geo.fastpath).

Answered by the same tiles.service.tile() the Django view uses: same checks, same cache, same errors.
"""

from __future__ import annotations

import re

from geo.fastpath import Answer, FastRequest, Route
from tiles import service

TILE_PATH = re.compile(r"^/tiles/([a-z_]+(?:,[a-z_]+)*)/(-?\d+)/(-?\d+)/(-?\d+)\.(?:pbf|mvt)$")


def serve_tile(request: FastRequest) -> Answer:
    layers, z, x, y = request.match.groups()
    environ = request.environ
    result = service.tile(layers, z, x, y, request.params, request.access,
                          accepts_gzip="gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""),
                          if_none_match=environ.get("HTTP_IF_NONE_MATCH"))
    return result.status, result.headers, result.body


ROUTES = [Route("GET", TILE_PATH, serve_tile)]
