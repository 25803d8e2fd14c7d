"""The OpenAPI 3.0 description of /ogc/ (the landing page's service-desc link).

3.0, not 3.1, because the landing page declares the oas30 conformance class. Every parameter states
the constraints items_query and parse_paging enforce (code patterns, enums, the datetime grammar,
ranges), so a client (or Schemathesis, scripts/schemathesis) can tell a valid request from one that
gets a 400. What JSON Schema cannot say (each bbox min not more than its max, latitude within
-90..90 in the second and fourth places) is in the description.

Clients read it for the limits of paging: QGIS and GDAL (3.8+) take the `limit` parameter's maximum
and default from it and then fetch pages of hundreds or thousands of features instead of ten. It also
lists each collection's own filters on its items path.
"""

from __future__ import annotations

from geo.openapi import ERROR
from layers.incidents.filters import CHOICES, CODE_RE, DEPARTMENT_RE, SUPERVISION
from layers.ogc.collections import COLLECTIONS, DEFAULT_LIMIT, INCIDENT_PARAMS, MAX_LIMIT, MAX_OFFSET

MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"


def _query(name: str, description: str, schema: dict, *, explode: bool = True) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "style": "form",
            "explode": explode, "schema": schema}


def _one_or_more(values) -> dict:
    """A comma-separated list of allowed values, as layers.filters reads it (spaces and empty items skipped)."""
    word = "(?:" + "|".join(sorted(values)) + ")"
    return {"type": "string", "pattern": f"^[\\s,]*(?:{word}\\s*(?:,[\\s,]*|$))*$"}


# RFC 3339 full-date or date-time; an interval joins two of them (or '..' / nothing for an open end) with '/'.
_DAY = "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
_INSTANT = f"{_DAY}(?:[Tt]{_TIME})?"
DATETIME_PATTERN = f"^(?:|{_INSTANT}|(?:{_INSTANT}|\\.\\.)?/(?:{_INSTANT}|\\.\\.)?)$"

PARAMETERS = {
    "f": _query("f", "response format: JSON only (there is no HTML)",
                {"type": "string", "enum": ["", "json", "geojson", "application/json", "application/geo+json"]}),
    "token": _query("token", "API token, for clients that cannot send an Authorization header", {"type": "string"}),
    "limit": _query("limit", f"features per page (default {DEFAULT_LIMIT}); as the standard asks, a larger value is "
                             f"not an error but is served as {MAX_LIMIT}",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
    "offset": _query("offset", "features to skip (the next link carries it)",
                     {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
    "bbox": _query("bbox", "lower left and upper right corners in CRS84: minlon,minlat,maxlon,maxlat (or 6 numbers "
                           "with heights: minlon,minlat,minh,maxlon,maxlat,maxh, heights ignored). Longitude first, "
                           "-180..180; latitude -90..90; each min not more than its max (a box across the "
                           "antimeridian is not supported), otherwise a 400",
                   {"type": "array", "items": {"type": "number", "minimum": -180, "maximum": 180},
                    "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}]},
                   explode=False),
    "datetime": _query("datetime", "RFC 3339 instant or interval (a/b, ../b, a/.., /b, a/; the start not after the "
                                   "end); a date is its whole day in China Standard Time, and so is a time without "
                                   "an offset", {"type": "string", "pattern": DATETIME_PATTERN}),
    "area": _query("area", "area code (2, 4, 6, 9, 12, 15 or 16 digits): only what lies inside it",
                   {"type": "string", "pattern": "^$|" + CODE_RE.pattern}),
    "class": _query("class", "incident classes, comma-separated", _one_or_more(CHOICES["class"])),
    "status": _query("status", "statuses, comma-separated, or open (every status but closed)",
                     _one_or_more(CHOICES["status"])),
    "severity": _query("severity", "general, larger, major (comma-separated)", _one_or_more(CHOICES["severity"])),
    "source": _query("source", "intake sources, comma-separated", _one_or_more(CHOICES["source"])),
    "flag": _query("flag", "live flags, any of (comma-separated): accept_overdue (open, not accepted, past the "
                           "acceptance limit), due_soon (open, due within 24 hours)", _one_or_more(CHOICES["flag"])),
    "supervision": _query("supervision", "supervised (督办), listed (挂牌督办) or overdue (past the supervision "
                          "deadline)", {"type": "string", "enum": ["", *SUPERVISION]}),
    "department": _query("department", "a department's code: the matters with an open dispatch to it",
                         {"type": "string", "pattern": "^$|" + DEPARTMENT_RE.pattern}),
}

UNTIMED = _query("datetime", "accepted and ignored: this collection has no time", {"type": "string"})

ERRORS = {
    "400": "a bad parameter, named in the error (`field`), or a parameter the collection does not take",
    "401": "no or unknown token",
    "404": "no such collection or feature",
    "414": "the request line is longer than the server accepts (about 4 KB); answered by the server before the API, "
           "without the JSON error",
}


def _get(summary: str, media_type: str, parameters: list[dict]) -> dict:
    ok = {"description": summary, "content": {media_type: {"schema": {"type": "object"}}}}
    error = {"content": {"application/json": {"schema": ERROR}}}
    responses = {"200": ok, **{status: {"description": text, **(error if status != "414" else {})}
                               for status, text in ERRORS.items()}}
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


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
        parameters += [_query(o.name, o.description, {"type": "string", "pattern": "^$|" + o.pattern})
                       for o in collection.layer.options]
        if collection.layer.temporal is None and collection.layer_id != "workload":
            parameters[3] = UNTIMED  # items_query ignores datetime here, as the standard allows
        base = f"/collections/{collection.id}"
        paths[f"{base}/items"] = _get(f"{collection.title}: features", "application/geo+json", [*parameters, *common])
        paths[f"{base}/items/{{featureId}}"] = _get(f"{collection.title}: one feature", "application/geo+json",
                                                    [_path("featureId"), *common])
    return {"openapi": "3.0.3",
            "info": {"title": "Gridmap OGC API - Features", "version": "1.0.0",
                     "description": "Areas, grids, buildings, places, incidents and workload"},
            "servers": [{"url": server_url}],
            "paths": paths}
