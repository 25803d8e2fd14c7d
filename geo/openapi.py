"""The OpenAPI 3.1 description of every /api/ route, served at /api/openapi.json.

Clients are generated from it, and a contract test (scripts/schemathesis, tests/geo/test_openapi.py) sends
what it allows to a running app and checks that every answer is one it lists. So each parameter states
the constraints the code enforces (code patterns, ranges, enums from the models), each route lists the
errors it can answer, and tests/geo/test_openapi.py fails when a URL pattern under /api/ is missing here.

Built from the same constants the views check against (the models' choices, the list limits), so the
document cannot drift from an enum. It lives in geo/ because it spans every app; geo imports no app
(tests/geo/test_layering.py), so the apps hand their constants over in their ready() (provide()).
"""

from __future__ import annotations

from typing import Any

# The constants of the apps above geo that the document states (limits, enums, steps, formats, layers):
# grids and layers provide() them in their AppConfig.ready(), as they register their fast-path routes.
FACTS: dict[str, Any] = {}


def provide(**facts: Any) -> None:
    FACTS.update(facts)


# Paths of apps above geo that describe their own routes (field/openapi.py, people/views.py,
# addresses/openapi.py): a function returning {path: item}, handed over in their AppConfig.ready() (geo may
# not import them).
PATH_PROVIDERS: list[Any] = []


def provide_paths(provider) -> None:
    if provider not in PATH_PROVIDERS:
        PATH_PROVIDERS.append(provider)

MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.1"
JSON, GEOJSON = "application/json", "application/geo+json"

# Area codes: county 6 digits, township 9, village 12, grid 15, dedicated grid 16 (grids/codes.py).
AREA_CODE = {"type": "string", "pattern": "^(?:[0-9]{2}|[0-9]{4}|[0-9]{6}(?:[0-9]{3}){0,3}[0-9]?)$",
             "description": "area code: 6 (county), 9 (township), 12 (village), 15 (grid) or 16 (dedicated grid) "
                            "digits", "examples": ["419001", "419001103", "419001103200001"]}
# Years 1900-2199: geo.screen refuses any date outside FIRST_DAY..LAST_DAY on every route.
YEAR = "(?:19[0-9]{2}|2[01][0-9]{2})"
DATE = {"type": "string", "format": "date", "pattern": f"^{YEAR}-[0-9]{{2}}-[0-9]{{2}}$",
        "description": "a day from 1900-01-01 to 2199-12-31"}
MOMENT = {"type": "string", "description": "ISO 8601 date (a whole day in China Standard Time) or date-time "
                                         "(without an offset: China Standard Time), in the years 1900-2199",
          "anyOf": [{"format": "date", "pattern": f"^{YEAR}-[0-9]{{2}}-[0-9]{{2}}$"},
                    {"format": "date-time", "pattern": f"^{YEAR}-"}]}
LON = {"type": "number", "minimum": -180, "maximum": 180}
SRID = {"description": "EPSG code of the coordinates: 4326 (default), 4490, 4491-4554 (CGCS2000 Gauss-Krüger), 3857",
        "anyOf": [{"enum": [4326, 4490, 3857]}, {"type": "integer", "minimum": 4491, "maximum": 4554}]}
LAT = {"type": "number", "minimum": -90, "maximum": 90}

# A commit says why the boundary changes (kept in the history and the audit trail); a preview need not.
REASON_REQUIRED = {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": "\\S"}}}
UNLESS_PREVIEW = {"if": {"required": ["preview"], "properties": {"preview": {"const": True}}},
                  "then": {}, "else": REASON_REQUIRED}

ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "stable, for programs: invalid_input, invalid_geometry, "
                                                      "invalid_code, not_authenticated, forbidden, not_found, "
                                                      "conflict, payload_too_large, rate_limited, ..."},
            "message": {"type": "string", "description": "for people, in the request's language"},
            "field": {"type": "string", "description": "the parameter or body field at fault"},
            "detail": {"description": "more, depending on the code (e.g. allowed transitions)"},
        }}},
}

ERRORS = {
    "400": "a parameter or body field is invalid; `field` names it",
    "401": "no session and no valid API token",
    "403": "the caller's role may not do this",
    "404": "no such object inside the caller's scope (outside it, things do not exist)",
    "405": "method not allowed on this path (see the Allow header)",
    "409": "the object's current state forbids it (a loop step from the wrong status, a boundary that would leave "
           "a gap or overlap)",
    "413": "the body is larger than the route accepts",
    "414": "the request line is longer than the server accepts (about 4 KB): send fewer or shorter parameters",
    "429": "rate limited: retry after Retry-After seconds",
}


def _error(status: str) -> dict:
    response: dict[str, Any] = {"description": ERRORS[status],
                                "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if status == "414":  # answered by gunicorn before the app: an empty body or HTML, never our JSON
        response.pop("content")
    if status == "429":
        response["headers"] = {"Retry-After": {"schema": {"type": "string", "pattern": "^[0-9]+$"},
                                               "description": "seconds to wait"}}
    if status == "405":
        response["headers"] = {"Allow": {"schema": {"type": "string"}}}
        response.pop("content")  # Django's own 405 for GET-only views is an empty body
    return response


def _query(name: str, schema: dict, description: str, *, required: bool = False, empty: bool = True) -> dict:
    """A query parameter; an optional one may also be empty (`?at=` means no date, as a form sends it)."""
    if not required and empty:
        schema = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _path(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def _operation(operation_id: str, summary: str, ok: dict, *, parameters: list | None = None, body: dict | None = None,
               errors: tuple[str, ...] = ("400", "401", "404"), tags: tuple[str, ...] = (),
               ok_status: str = "200", description: str = "", body_required: bool = True) -> dict:
    errors = tuple(sorted({*errors, "401", "414"}))
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": list(tags),
                                 "parameters": parameters or [],
                                 "responses": {ok_status: ok, **{status: _error(status) for status in errors}}}
    if description:
        operation["description"] = description
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": body}
    return operation


def _ok(description: str, schema: dict, media_type: str = JSON, headers: dict | None = None) -> dict:
    response: dict[str, Any] = {"description": description, "content": {media_type: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _nullable(schema: dict) -> dict:
    """null is the same as leaving the field out (the app reads a missing field and null alike)."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(max_length: int, description: str = "") -> dict:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if description:
        schema["description"] = description
    return schema


def _components() -> dict:
    MAX_LIST, Incident = FACTS["MAX_LIST"], FACTS["Incident"]  # noqa: N806  (the apps' own names)

    def enum(choices) -> list[str]:
        return [value for value, _ in choices.choices]

    point = {"type": "object", "required": ["type", "coordinates"],
             "properties": {"type": {"const": "Point"},
                            # lon -180..180, lat -90..90 (and a height): prefixItems would say it per
                            # position, but Schemathesis cannot generate from prefixItems with items.
                            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2,
                                            "maxItems": 3, "description": "lon (-180..180), lat (-90..90)[, height]"}}}
    multipolygon = {"type": "object", "required": ["type", "coordinates"],
                    "description": "GeoJSON Polygon or MultiPolygon, lon/lat unless srid says otherwise",
                    "properties": {"type": {"enum": ["Polygon", "MultiPolygon"]},
                                   "coordinates": {"type": "array", "minItems": 1}}}
    line = {"type": "object", "required": ["type", "coordinates"],
            "properties": {"type": {"enum": ["LineString", "MultiLineString"]},
                           "coordinates": {"type": "array", "minItems": 1}}}
    report_fields = {
        "subcategory": _text(200, "one of the category's subcategories (layers/categories.py)"),
        "severity": {"enum": enum(Incident.Severity), "default": "general"},
        "source": {"enum": enum(Incident.Source), "description": "required except for grid workers (their own "
                                                                 "discovery)"},
        "risk_level": {"enum": enum(Incident.Risk)},
        "description": _text(4000),
        "reporter_name": _text(50, "personal: shown only to callers with the personal-data permission"),
        "reporter_phone": {"type": "string", "pattern": "^\\+?[0-9][0-9 -]{2,18}$"},
        "parties": _text(2000, "personal"),
        "client_id": {"type": "string", "pattern": "^[A-Za-z0-9._:@-]{1,64}$",
                      "description": "the client's own id of the report: resending it is safe (idempotent)"},
        # Kept by the people app (people/links.py, docs/people.md); the incident's answer shows them.
        "person": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                   "description": "the person concerned (a person id): personal-data right needed (403 naming "
                                  "person otherwise), inside the caller's area (404 naming person otherwise)"},
        "enterprise": {"type": ["integer", "string"],
                       "description": "the enterprise concerned: its id or unified social credit code, inside "
                                      "the caller's area (404 naming enterprise otherwise)"},
    }
    report_fields = {"category": {"enum": enum(Incident.Category)},
                     **{name: _nullable(schema) for name, schema in report_fields.items()}}
    return {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "an API token (manage.py add_user prints "
                                                                            "one; the admin issues more)"},
            "token": {"type": "apiKey", "in": "query", "name": "token",
                      "description": "the same token, for clients that cannot set a header"},
            "session": {"type": "apiKey", "in": "cookie", "name": "sessionid",
                        "description": "a logged-in page; POSTs then need the X-CSRFToken header"},
        },
        "schemas": {
            "Error": ERROR,
            "Point": point,
            "AreaRef": {"type": "object", "required": ["code", "name", "level"],
                        "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                                       "level": {"type": "integer", "minimum": -1, "maximum": 5}}},
            "Feature": {"type": "object", "required": ["type", "properties"],
                        "properties": {"type": {"const": "Feature"}, "id": {"type": ["integer", "string"]},
                                       "geometry": {"type": ["object", "null"]},
                                       "properties": {"type": "object"}}},
            "FeatureCollection": {"type": "object", "required": ["type", "features"],
                                  "properties": {"type": {"const": "FeatureCollection"},
                                                 "features": {"type": "array", "items": _ref("Feature")}}},
            "Figures": {"type": "object", "description": "intake, open, overdue, closed, closure and on-time "
                                                         "rates, satisfaction, mean hours to close",
                        "additionalProperties": True},
            "Report": {
                "description": "a flat object (lon and lat together, a location geometry, or an address_code) or a "
                               "GeoJSON Feature with the fields in properties; exactly one way of locating it",
                "oneOf": [
                    {"type": "object", "required": ["type", "geometry", "properties"],
                     "properties": {"type": {"const": "Feature"}, "geometry": point,
                                    "properties": {"type": "object", "required": ["category"],
                                                   "properties": report_fields}}},
                    {"type": "object", "required": ["category"],  # lon needs lat (stated in the description:
                     # dependentRequired stops Schemathesis from generating bodies at all)
                     "properties": {**report_fields, "lon": _nullable(LON), "lat": _nullable(LAT),
                                    "location": _nullable(point),
                                    "address_code": _nullable({"type": "string", "pattern": "^[0-9]{17}$"})}},
                ]},
            "Redraw": {"type": "object", "required": ["boundary"], "properties": {
                "boundary": multipolygon,
                "srid": _nullable(SRID),
                "reason": _nullable(_text(180, "required to commit; kept in the history and the audit trail")),
                "valid_from": _nullable({**DATE, "description": "today or earlier (default today)"}),
                "gained_from": {"enum": ["neighbours", None]},
                "lost_to": {"type": ["string", "null"], "pattern": "^[0-9]+$"},
                "snap_m": {"type": "number", "minimum": 0, "maximum": 50},
                "sliver_m2": {"type": "number", "minimum": 0}}},
            "RedrawCommit": {"allOf": [_ref("Redraw"), REASON_REQUIRED]},
            "Split": {"type": "object", "required": ["line"], **UNLESS_PREVIEW, "properties": {
                "line": line, "srid": _nullable(SRID), "reason": _nullable(_text(180)), "valid_from": _nullable(DATE),
                "names": _nullable({"type": "array", "items": _text(100)}), "preview": {"type": "boolean"}}},
            "Merge": {"type": "object", "required": ["codes"], **UNLESS_PREVIEW, "properties": {
                "codes": {"type": "array", "minItems": 2, "items": AREA_CODE}, "reason": _nullable(_text(180)),
                "name": _nullable(_text(100)), "valid_from": _nullable(DATE), "preview": {"type": "boolean"}}},
            "Step": {"type": "object", "properties": {
                "note": _nullable(_text(2000, "required by return, escalate and extend")),
                "assignee": _nullable(_text(32, "dispatch: a worker's employee_no")),
                "department": _nullable(_text(100, "dispatch: a department, instead of a worker")),
                "satisfaction": _nullable({"type": "integer", "minimum": 1, "maximum": 5,
                                           "description": "close (optional) and rate (required)"})}},
            "Comment": {"type": "object", "required": ["note"],
                        "properties": {"note": {**_text(2000), "pattern": "\\S"}}},
            "AreaList": {"type": "object", "required": ["count", "limit", "offset", "results"],
                         "properties": {"count": {"type": "integer"},
                                        "limit": {"type": "integer", "maximum": MAX_LIST},
                                        "offset": {"type": "integer"},
                                        "results": {"type": "array", "items": _ref("AreaRef")}}},
        },
    }


def _not_modified(operation: dict) -> dict:
    """A poll's 304: nothing changed since the cursor or ETag the caller sent (no body)."""
    operation["responses"]["304"] = {"description": "nothing changed since `after` or If-None-Match (no body)",
                                     "headers": {"ETag": {"schema": {"type": "string"}}}}
    return operation


def _paths() -> dict:
    MAX_LIST, MAX_OFFSET, MAX_LIMIT = FACTS["MAX_LIST"], FACTS["MAX_OFFSET"], FACTS["MAX_LIMIT"]  # noqa: N806
    FORMATS, STEPS, Incident = FACTS["FORMATS"], FACTS["STEPS"], FACTS["Incident"]  # noqa: N806

    code = _path("code", AREA_CODE, "area code")
    incident_id = _path("id", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, "incident id")
    at = _query("at", DATE, "the boundaries valid on that day (default: today's)")
    period = [_query("since", MOMENT, "from (inclusive)"), _query("until", MOMENT, "to (a date: its whole day)")]
    level = _query("level", {"type": "string",
                             "pattern": "^(?:[0-5]|province|city|county|township|village|grid|dedicated)$"},
                   "0-5 (0 a city) or province, city, county, township, village, grid, dedicated")
    status_enum = [value for value, _ in Incident.Status.choices]
    feature = _ok("the incident as a GeoJSON Feature", _ref("Feature"), GEOJSON)
    area = ("areas",)
    incidents = ("incidents",)
    stats = ("statistics",)
    export_formats = sorted(FORMATS)

    return {
        "/api/me": {"get": _operation(
            "me", "who the caller is: role, scope and permissions",
            _ok("the caller", {"type": "object", "required": ["username", "role", "scope", "permissions"],
                               "properties": {"username": {"type": "string"}, "role": {"type": ["string", "null"]},
                                              "scope": {"type": ["string", "null"]},
                                              "permissions": {"type": "array", "items": {"type": "string"}}}}),
            errors=())},
        "/api/openapi.json": {"get": _operation(
            "openapi", "this document", _ok("OpenAPI 3.1", {"type": "object"}), errors=())},
        "/api/locate": {"get": _operation(
            "locate", "the chain of areas (county to grid, and dedicated grids) containing a point",
            _ok("the chain, in the caller's scope", {"type": "object", "required": ["lon", "lat"]}),
            parameters=[_query("lon", LON, "longitude, WGS84", required=True),
                        _query("lat", LAT, "latitude, WGS84", required=True), at],
            errors=("400",), tags=area,
            description="Coordinates that look like lat, lon (x in China's latitudes, y in its longitudes) are "
                        "refused with a 400 saying so.")},
        "/api/areas": {"get": _operation(
            "areas", "areas in the caller's scope, without geometry", _ok("a page of areas", _ref("AreaList")),
            parameters=[level, _query("parent", {"type": "string", "pattern": "^[0-9]+$"}, "parent's code"), at,
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIST, "default": 1000},
                               "page size"),
                        _query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                               "areas to skip")],
            errors=("400",), tags=area)},
        "/api/areas/merge": {"post": _operation(
            "merge", "merge adjacent areas of one level into the first (or preview it)",
            _ok("what changed (or would change)", {"type": "object"}), body={JSON: {"schema": _ref("Merge")}},
            errors=("400", "403", "404", "409", "413"), tags=area)},
        "/api/areas/{code}": {"get": _operation(
            "area", "one area: parent, children, boundary (GeoJSON) and counts",
            _ok("the area", {"type": "object", "required": ["code", "name", "level"]}),
            parameters=[code, at], errors=("400", "404"), tags=area)},
        "/api/areas/{code}/check": {"get": _operation(
            "area_check", "coverage problems of an area's children: gaps, overlaps, slivers, each with geometry",
            _ok("the problems", {"type": "object"}),
            parameters=[code, _query("sliver_m2", {"type": "number", "minimum": 0, "default": 1.0},
                                     "overlaps and gaps smaller than this (m²) are slivers", empty=False)],
            errors=("400", "404", "429"), tags=area,
            description="Rate-limited per caller (GRIDMAP_BULK_RATE a minute): a county's check takes seconds.")},
        "/api/areas/{code}/redraw/preview": {"post": _operation(
            "redraw_preview", "what a new boundary would change; nothing is kept",
            _ok("the change", {"type": "object"}), parameters=[code], body={JSON: {"schema": _ref("Redraw")}},
            errors=("400", "403", "404", "409", "413"), tags=area)},
        "/api/areas/{code}/redraw/commit": {"post": _operation(
            "redraw_commit", "the same, kept with a new boundary version; 409 if it would leave a gap or overlap",
            _ok("the change", {"type": "object"}), parameters=[code], body={JSON: {"schema": _ref("RedrawCommit")}},
            errors=("400", "403", "404", "409", "413"), tags=area)},
        "/api/areas/{code}/split": {"post": _operation(
            "split", "split an area along a line (or preview it)", _ok("the new areas", {"type": "object"}),
            parameters=[code], body={JSON: {"schema": _ref("Split")}}, errors=("400", "403", "404", "409", "413"),
            tags=area)},
        "/api/incidents": {
            "get": _operation(
                "incidents", "incidents in the caller's scope, newest first; each with the enterprise it concerns "
                             "and, for callers with the personal-data right, the person (audited)",
                _ok("a page", _ref("FeatureCollection"), GEOJSON),
                parameters=[_query("area", AREA_CODE, "only incidents inside this area"),
                            _query("status", {"enum": status_enum}, "one status"),
                            _query("category", {"enum": [v for v, _ in Incident.Category.choices]}, "one class"),
                            _query("overdue", {"type": "string"}, "1, true or yes: only overdue ones (any other "
                                                                  "value: all)"),
                            _query("since", MOMENT, "reported from (inclusive)"),
                            _query("until", MOMENT, "reported until (a date: its whole day)"),
                            _query("flag", {"type": "string", "pattern": "^[\\s,]*(?:(?:accept_overdue|due_soon)"
                                                                   "\\s*(?:,[\\s,]*|$))*$"},
                                   "live flags, any of (comma-separated): accept_overdue, due_soon"),
                            _query("supervision", {"enum": ["supervised", "listed", "overdue"]},
                                   "supervised (督办), listed (挂牌督办) or overdue (past the supervision deadline)"),
                            _query("department", {"type": "string", "pattern": "^[0-9]{6,16}-[A-Z0-9]{1,15}$"},
                                   "a department's code: the matters with an open dispatch to it"),
                            _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
                                   "page size"),
                            _query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0},
                                   "incidents to skip")],
                errors=("400",), tags=incidents),
            "post": _operation(
                "report", "intake: a report becomes a placed incident with its due times",
                _ok("the new incident (or, for a client_id already used, the first answer)", _ref("Feature"),
                    GEOJSON, headers={"Location": {"schema": {"type": "string"}},
                                      "Idempotent-Replayed": {"schema": {"const": "true"},
                                                              "description": "a replay of a client_id"}}),
                body={JSON: {"schema": _ref("Report")}, GEOJSON: {"schema": _ref("Report")},
                      "application/x-www-form-urlencoded": {"schema": {
                          "type": "object", "required": ["category"],
                          "description": "the flat report's fields as form fields (curl -d, Open311 clients)",
                          "properties": {"category": {"enum": [v for v, _ in Incident.Category.choices]}}}}},
                ok_status="201", errors=("400", "403", "404", "409", "413"), tags=incidents,
                description="A client_id makes intake idempotent: the same report sent again gets the same "
                            "answer; a different report under a used client_id is a 409. A person or "
                            "enterprise named but unknown or outside the caller's area is a 404 naming the "
                            "field; naming a person without the personal-data right a 403."),
        },
        "/api/incidents/{id}": {"get": _operation(
            "incident", "one incident", feature, parameters=[incident_id], errors=("404",), tags=incidents)},
        "/api/incidents/{id}/events": {
            "get": _operation(
                "incident_events", "the incident's event log: every step and comment",
                _ok("the log", {"type": "object", "required": ["incident", "events"],
                                "properties": {"incident": {"type": "integer"},
                                               "events": {"type": "array", "items": {"type": "object"}}}}),
                parameters=[incident_id], errors=("404",), tags=incidents),
            "post": _operation(
                "incident_comment", "a comment or update on the incident", _ok("the event", {"type": "object"}),
                parameters=[incident_id], body={JSON: {"schema": _ref("Comment")}}, ok_status="201",
                errors=("400", "403", "404", "413"), tags=incidents),
        },
        "/api/incidents/{id}/{action}": {"post": _operation(
            "incident_step", "one step of the closed loop; the answer is the incident as GET shows it (with the "
                             "enterprise and, with the personal-data right, the person it concerns)", feature,
            parameters=[incident_id, _path("action", {"enum": list(STEPS)}, "the step")],
            body={JSON: {"schema": _ref("Step")}}, body_required=False, errors=("400", "403", "404", "409", "413"),
            tags=incidents,
            description="Which steps a role may take, and from which statuses, is in layers/loop.py; a step from "
                        "the wrong status is a 409 listing the allowed ones.")},
        "/api/stats/workers": {"get": _operation(
            "ranking", "the week's standings of the grid workers in an area, with the red and black lists",
            _ok("the ranking", {"type": "object", "required": ["area", "week", "workers"]}),
            parameters=[_query("area", AREA_CODE, "the area to rank (default: the caller's scope; required for a "
                                                  "caller whose scope is everything)"),
                        _query("week", {"type": "string", "pattern": f"^{YEAR}-?W(?:0[1-9]|[1-4][0-9]|5[0-3])$"},
                               "ISO week, e.g. 2025-W07 (default: the last complete week)")],
            errors=("400", "404"), tags=stats)},
        "/api/stats/workers/{employee_no}": {"get": _operation(
            "worker_stats", "the figures of the incidents assigned to one worker",
            _ok("the figures", {"type": "object", "required": ["worker", "period", "figures"]}),
            parameters=[_path("employee_no", {"type": "string", "pattern": "^[^\\x00-\\x20\\x7f/]{1,32}$"},
                              "the worker's number"),
                        *period], errors=("400", "404"), tags=stats)},
        "/api/wall": {"get": _not_modified(_operation(
            "wall", "the live wall's poll: a unit's new, newly overdue and newly supervised matters of the last "
            "24 hours and its KPI cards; 304 (no body) when nothing changed since `after` or If-None-Match",
            _ok("the unit's feed and cards", {"type": "object"},
                headers={"ETag": {"schema": {"type": "string"}}}),
            parameters=[_query("area", AREA_CODE, "the unit (default: the root of the caller's scope)"),
                        _query("period", {"enum": ["today", "7d", "30d", "year"]}, "a preset period (default today)"),
                        _query("since", DATE, "from this day (wins over period)"),
                        _query("until", DATE, "to this day (not before since; at most five years after it)"),
                        _query("class", {"enum": [v for v, _ in Incident.Category.choices]}, "one class"),
                        _query("lang", {"enum": ["en", "zh-hans"]}, "the cards' language (default zh-hans)"),
                        _query("after", {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                               "the cursor of a previous answer: 304 when nothing changed")],
            errors=("400", "404"), tags=("dashboards",)))},
        "/api/stats/departments": {"get": _operation(
            "department_stats", "each department's received, closed, on-time and returned matters of a unit's "
            "cohort, ranked (closure rate, then on-time rate); a department account sees its own line only",
            _ok("the ranking", {"type": "object", "required": ["area", "period", "departments"]}),
            parameters=[_query("area", AREA_CODE, "the unit (default: the caller's scope)"), *period],
            errors=("400", "404"), tags=stats)},
        "/api/stats/{code}": {"get": _operation(
            "unit_stats", "a unit's figures over a period, and with children=1 each child unit's",
            _ok("the figures", {"type": "object", "required": ["area", "period", "figures"]}),
            parameters=[_path("code", AREA_CODE, "area code"), *period,
                        _query("children", {"type": "string"}, "1, true or yes: also each child unit (any other "
                                                               "value: not)"),
                        _query("by", {"type": "string", "pattern": FACTS["STATS_BY"]},
                               "breakdowns, comma-separated: the figures per class, sub-class, source, severity or "
                               "department, each with its comparisons"),
                        _query("not_visited", {"type": "integer", "minimum": 1, "maximum": 365},
                               "coverage: also list the basic grids where no track and no visit was recorded in "
                               "the last N days (up to the period's end)")],
            errors=("400", "404"), tags=stats,
            description="Beside the figures, `compare` holds the previous period (环比: the same number of whole "
                        "months before a run of whole months, else the same number of days) and the same period a "
                        "year before (同比), each with its figures and every figure's change (delta; ratio for "
                        "counts). Children carry the same. `people` (when the people app is installed) holds the "
                        "unit's current 民情 counts, with `follow_ups` {key_persons, overdue, done_30_days, "
                        "on_cadence_share}: key-group counts read \"< 5\" between 1 and 4 without the personal-data "
                        "right (docs/people.md).")},
        **_analysis_paths(period),
        "/api/export/": {"get": _operation(
            "export_catalog", "every exportable layer with its columns, filters and formats",
            _ok("the catalog", {"type": "object", "required": ["layers", "formats"]}), errors=("403",),
            tags=("exports",))},
        **_export_paths(export_formats),
    }



def _export_paths(export_formats: list[str]) -> dict:
    """`/api/export/{layer}.{format}` for the layers that take only the common parameters, and a path of its
    own for each layer with parameters of its own (the safety index's `period`, the three-zero units'
    `year`, `ytd`): a parameter the layer does not take is a 400, so the document offers each layer just
    its own (a client generated from it never sends `period` to the grids export)."""
    FORMATS, REGISTRY = FACTS["FORMATS"], FACTS["REGISTRY"]  # noqa: N806

    def operation(operation_id: str, layer_param: list, options: list) -> dict:
        return {"get": _operation(
            operation_id, "a layer as a file, filtered; GeoJSON and CSV are streamed",
            {"description": "the file (Content-Disposition: attachment)",
             "content": {FORMATS[f].media_type.split(";")[0]:
                         {"schema": _ref("FeatureCollection") if f == "geojson" else
                          {"type": "string", "format": "binary"}} for f in export_formats}},
            parameters=[*layer_param,
                        _path("format", {"enum": export_formats}, "the format"),
                        _query("area", AREA_CODE, "only what lies inside this area"),
                        _query("bbox", {"type": "string"}, "minlon,minlat,maxlon,maxlat (WGS84; min < max)"),
                        _query("level", {"type": "string"}, "areas: the level(s) to export"),
                        _query("crs", {"enum": ["4326", "4490", "3857"]}, "output CRS (not for GeoJSON)"),
                        _query("personal", {"enum": ["1", "0", "true", "false", "yes", "no", "on", "off"]},
                               "1: include personal fields (needs the permission)"),
                        _query("geometry", {"enum": ["wkt", "lonlat"]}, "CSV: WKT column or lon/lat columns"),
                        *options],
            errors=("400", "403", "404", "429"), tags=("exports",),
            description="Incident layers also take class, status, severity, source, since and until, as the "
                        "tiles do; a parameter the layer does not take is a 400, never silently ignored. "
                        "Rate-limited per caller (GRIDMAP_EXPORT_RATE a minute).")}

    common = [layer_id for layer_id, layer in REGISTRY.items() if not layer.options]
    paths = {"/api/export/{layer}.{format}": operation(
        "export", [_path("layer", {"enum": common}, "the layer")], [])}
    for layer_id, layer in REGISTRY.items():
        if layer.options:
            paths[f"/api/export/{layer_id}.{{format}}"] = operation(
                f"export_{layer_id}", [],
                [_query(o.name, {"type": "string", "pattern": o.pattern}, o.description)
                 for o in layer.options])
    return paths

def _analysis_paths(period: list) -> dict:
    """The leaders' analysis (analysis/views.py, docs/analysis.md): index, trend, choropleth, warnings,
    three-zero units. Each refuses department accounts (403) and audits the read."""
    unit = _path("code", {"type": "string", "pattern": "^(?:[0-9]{2}|[0-9]{4}|[0-9]{6}(?:[0-9]{3}){0,2})$"},
                 "a province (2 digits), city (4), county (6), township (9) or village (12) code")
    term = _query("period", {"type": "string", "pattern": "^(?:19|20|21)[0-9]{2}(?:-(?:0[1-9]|1[0-2]|Q[1-4]))?$"},
                  "a month YYYY-MM, a quarter YYYY-Qn or a year YYYY, begun (default: this month)")
    month = {"type": "string", "pattern": "^(?:19|20|21)[0-9]{2}-(?:0[1-9]|1[0-2])$"}
    flag = {"enum": ["0", "1", "true", "false"]}
    fmt = _query("format", {"enum": ["json", "geojson"]}, "json (a list) or geojson (the map layer)")
    tags = ("analysis",)
    errors = ("400", "403", "404")
    obj = {"type": "object"}
    return {
        "/api/analysis/index/{code}": {"get": _operation(
            "analysis_index", "the safety index of a unit for a month, quarter or year, with its breakdown",
            _ok("the score, band, parts and why; with children=1 the child units ranked", obj),
            parameters=[unit, term, _query("children", flag, "1: also the child units, ranked")],
            errors=errors, tags=tags)},
        "/api/analysis/index/{code}/trend": {"get": _operation(
            "analysis_trend", "the unit's index month by month",
            _ok("one score a month", obj),
            parameters=[unit, _query("since", month, "first month, not after until, at most 120 months before it "
                                                     "(default: 11 months before until)"),
                        _query("until", month, "last month, begun (default: this month)")],
            errors=errors, tags=tags)},
        "/api/analysis/index/{code}/map": {"get": _operation(
            "analysis_map", "the choropleth: the unit's children with score, band and colour",
            _ok("GeoJSON FeatureCollection", _ref("FeatureCollection"), GEOJSON),
            parameters=[unit, term], errors=errors, tags=tags)},
        "/api/analysis/warnings/{code}": {"get": _operation(
            "analysis_warnings", "early warnings: above the own seasonal baseline, and Gi* hot spots (FDR 5 %)",
            _ok("the warnings, each with a sentence (or the warned areas as GeoJSON)", obj),
            parameters=[unit, _query("month", month, "the month, begun (default: this month)"), fmt],
            errors=errors, tags=tags)},
        "/api/analysis/threezero/{code}": {"get": _operation(
            "analysis_threezero", "three-zero (三零) verdicts of the unit and every unit under it to the villages",
            _ok("each unit, the matter that broke it, the count per township (a city's or province's also per "
                "county and per city), or the villages (a city's or province's counties) as GeoJSON", obj),
            parameters=[unit, _query("year", {"type": "string", "pattern": "^(?:19|20|21)[0-9]{2}$"},
                                     "the year, begun (default: this)"),
                        _query("ytd", flag, "1: the year to date"), fmt],
            errors=errors, tags=tags)},
    }


def document(server_url: str) -> dict:
    """The whole description; `server_url` is the site's root as the caller reached it."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Gridmap API", "version": "1.0.0",
                 "description": "Areas and grids, incidents and their closed loop, statistics and exports of a "
                                "county social-governance center. Errors are JSON: {\"error\": {\"code\", "
                                "\"message\", \"field\"}}; messages follow the request's language (?lang=en, or "
                                "the language cookie; Chinese by default). Vector tiles (/tiles/), OGC API - "
                                "Features (/ogc/api describes it) and Open311 (/open311/v2/) are described in "
                                "their own standards."},
        "servers": [{"url": server_url.rstrip("/")}],
        "security": [{"bearer": []}, {"token": []}, {"session": []}],
        "paths": {**_paths(),
                  **{p: item for provider in PATH_PROVIDERS for p, item in provider().items()}},
        "components": _components(),
    }
