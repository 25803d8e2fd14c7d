"""The OpenAPI 3.0 description of /ogc/ (the landing page's service-desc link).

Clients read it for the limits of paging: QGIS and GDAL (3.8+) take the `limit` parameter's maximum
and default from it and then fetch pages of hundreds or thousands of features instead of ten. It also
lists each collection's own filters on its items path.
"""

from __future__ import annotations

from layers.ogc.collections import COLLECTIONS, DEFAULT_LIMIT, INCIDENT_PARAMS, MAX_LIMIT, MAX_OFFSET

MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"


def _query(name: str, description: str, schema: dict, *, explode: bool = True) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "style": "form",
            "explode": explode, "schema": schema}


PARAMETERS = {
    "f": _query("f", "response format: json only", {"type": "string", "enum": ["json"]}),
    "token": _query("token", "API token, for clients that cannot send an Authorization header", {"type": "string"}),
    "limit": _query("limit", f"features per page (default {DEFAULT_LIMIT}; larger values are served as {MAX_LIMIT})",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
    "offset": _query("offset", "features to skip (the next link carries it)",
                     {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
    "bbox": _query("bbox", "minx,miny,maxx,maxy in CRS84 (or 6 numbers with heights)",
                   {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}, explode=False),
    "datetime": _query("datetime", "RFC 3339 instant or interval (a/b, ../b, a/..); dates are whole days in "
                       "China Standard Time", {"type": "string"}),
    "area": _query("area", "area code: only what lies inside it", {"type": "string", "pattern": "^[0-9]{6,16}$"}),
    "class": _query("class", "incident classes, comma-separated", {"type": "string"}),
    "status": _query("status", "statuses, comma-separated, or open", {"type": "string"}),
    "severity": _query("severity", "general, larger, major (comma-separated)", {"type": "string"}),
    "source": _query("source", "intake sources, comma-separated", {"type": "string"}),
    "flag": _query("flag", "live flags, any of (comma-separated): accept_overdue (open, not accepted, past the "
                   "acceptance limit), due_soon (open, due within 24 hours)", {"type": "string"}),
    "supervision": _query("supervision", "supervised (督办), listed (挂牌督办) or overdue (past the supervision "
                          "deadline)", {"type": "string", "enum": ["supervised", "listed", "overdue"]}),
    "department": _query("department", "a department's code: the matters with an open dispatch to it",
                         {"type": "string", "pattern": "^[0-9]{6,16}-[A-Z0-9]{1,15}$"}),
}


def _get(summary: str, media_type: str, parameters: list[dict]) -> dict:
    ok = {"description": summary, "content": {media_type: {"schema": {"type": "object"}}}}
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": ok,
                                  "400": {"description": "a bad parameter, named in the error"},
                                  "401": {"description": "no or unknown token"},
                                  "404": {"description": "no such collection or feature"}}}}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def document(server_url: str) -> dict:
    common = [PARAMETERS["f"], PARAMETERS["token"]]
    paths = {
        "/": _get("landing page", "application/json", common),
        "/conformance": _get("conformance classes", "application/json", common),
        "/collections": _get("the collections", "application/json", common),
        "/collections/{collectionId}": _get("one collection", "application/json", [_path("collectionId"), *common]),
    }
    for collection in COLLECTIONS.values():
        extra = sorted(INCIDENT_PARAMS) if collection.layer.incident_filters else ["area"]
        parameters = [PARAMETERS[name] for name in ("limit", "offset", "bbox", "datetime", *extra)]
        base = f"/collections/{collection.id}"
        paths[f"{base}/items"] = _get(f"{collection.title}: features", "application/geo+json", [*parameters, *common])
        paths[f"{base}/items/{{featureId}}"] = _get(f"{collection.title}: one feature", "application/geo+json",
                                                    [_path("featureId"), *common])
    return {"openapi": "3.0.3",
            "info": {"title": "Gridmap OGC API - Features", "version": "1.0.0",
                     "description": "Areas, grids, buildings, places, incidents and workload"},
            "servers": [{"url": server_url}],
            "paths": paths}
