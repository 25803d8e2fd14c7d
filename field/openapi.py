"""The OpenAPI description of /api/patrols and /api/visits, handed to geo.openapi in FieldConfig.ready() (geo may not
import the apps above it)."""

from __future__ import annotations

from field import cameras, channels, cleaning, videopatrols
from field.models import Visit
from field.patrols import BATCH_ID, MAX_BODY_BYTES, MAX_FIXES
from field.views import WORKER_MAX
from field.visits import ENTERPRISE, NOTE_MAX, PHOTO_MAX, TARGETS
from geo.geometry import CHINA_LAT, CHINA_LON
from geo.openapi import AREA_CODE, DATE, GEOJSON, JSON, _ok, _operation, _path, _query
from layers.incidents.intake import DESCRIPTION_MAX
from layers.models import Incident

# Any JSON value is taken per fix: a fix whose time or position is not one is dropped and reported by its
# index (the batch is not refused for one bad reading), so the schema does not constrain them.
TIME = {"description": "epoch seconds (or milliseconds), or ISO 8601 with an offset; anything else: bad_time"}
NUMBER = {"description": "a number (or its text); anything else is dropped as not_a_number and reported"}

BATCH_ID_SCHEMA = {"type": "string", "pattern": f"^{BATCH_ID.pattern}$",
            "description": "chosen once per batch by the phone (a UUID): the same batch twice stores once"}
GCJ02 = {"type": "boolean", "default": False,
         "description": "true: the positions are GCJ-02 (Amap, Tencent SDKs) and are moved to WGS84"}
COMPACT = {
    "type": "object", "required": ["batch_id", "fixes"], "additionalProperties": False,
    "description": f"compact: at most {MAX_FIXES} fixes as [time, lon, lat, accuracy in metres]",
    "properties": {
        "batch_id": BATCH_ID_SCHEMA, "gcj02": GCJ02,
        "fixes": {"type": "array", "minItems": 1, "maxItems": MAX_FIXES,
                  "items": {"type": "array", "minItems": 3, "maxItems": 4,
                            "prefixItems": [TIME, NUMBER, NUMBER, NUMBER], "items": False}},
    },
}
POINT_FIX = {
    "type": "object", "required": ["type", "geometry"],
    "properties": {
        "type": {"const": "Feature"},
        "geometry": {"type": "object", "required": ["type", "coordinates"], "properties": {
            "type": {"const": "Point"},
            "coordinates": {"type": "array", "minItems": 2, "maxItems": 3, "description": "[lon, lat]"}}},
        "properties": {"anyOf": [{"type": "object", "properties": {"time": TIME, "accuracy": NUMBER}},
                                 {"type": "null"}]},
    },
}
FEATURES = {
    "type": "object", "required": ["type", "batch_id", "features"], "additionalProperties": False,
    "description": f"GeoJSON: a FeatureCollection of at most {MAX_FIXES} Points with properties time and accuracy",
    "properties": {"type": {"const": "FeatureCollection"}, "batch_id": BATCH_ID_SCHEMA, "gcj02": GCJ02,
                   "features": {"type": "array", "minItems": 1, "maxItems": MAX_FIXES, "items": POINT_FIX}},
}
BATCH = {"oneOf": [COMPACT, FEATURES],
         "description": f"a batch of fixes; the body at most {MAX_BODY_BYTES} bytes. A fix that is not a position "
                        "is dropped and reported by its index, not refused"}

REPORT = {
    "type": "object",
    "required": ["batch_id", "received", "kept", "reordered", "dropped", "problems", "tracks"],
    "properties": {
        "batch_id": {"type": "string"}, "received_at": {"type": "string"}, "gcj02": {"type": "boolean"},
        "received": {"type": "integer"}, "kept": {"type": "integer"},
        "reordered": {"type": "integer", "description": "places where the batch went back in time (sorted)"},
        "dropped": {"type": "object", "propertyNames": {"enum": list(cleaning.REASONS)},
                    "additionalProperties": {"type": "integer"}, "description": "fixes dropped, by reason"},
        "problems": {"type": "array", "items": {"type": "object", "required": ["index", "reason"], "properties": {
            "index": {"type": "integer"}, "reason": {"enum": list(cleaning.REASONS)}, "detail": {"type": "string"}}}},
        "problems_listed": {"type": "string"},
        "tracks": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "seq": {"type": "integer"}, "fixes": {"type": "integer"},
            "started_at": {"type": "string"}, "ended_at": {"type": "string"}, "length_m": {"type": "number"},
            "grids": {"type": "array", "items": AREA_CODE}}}},
    },
}

PATHS = {
    "/api/patrols": {
        "get": _operation(
            "patrols", "patrol track pieces in the caller's area over a period (personal data: audited)",
            _ok("the pieces of tracks in each grid", {"type": "object"}, GEOJSON),
            parameters=[_query("area", AREA_CODE, "only pieces in grids inside this area"),
                        _query("since", DATE, "from this day (default: 6 days before until)"),
                        _query("until", DATE, "to this day, inclusive (default: today)"),
                        _query("worker", {"type": "string", "maxLength": WORKER_MAX}, "a worker's employee number")],
            errors=("400", "403"), tags=("field",),
            description="Needs the personal-data right; only the pieces in grids inside the caller's scope."),
        "post": _operation(
            "patrol_upload", "upload a batch of GPS fixes: cleaned, split at gaps, stored as tracks in their grids",
            _ok("the batch's report (a replay of a batch_id: the first report)", REPORT,
                headers={"Idempotent-Replayed": {"schema": {"const": "true"}, "description": "a replay"}}),
            body={JSON: {"schema": BATCH}, GEOJSON: {"schema": BATCH}}, ok_status="201",
            errors=("400", "403", "409", "413"), tags=("field",),
            description="Fixes outside the uploader's area are dropped (outside_scope); a batch with every fix "
                        "outside it is a 403 and nothing is written."),
    },
}

def _only(target: str, *needed: str) -> dict:
    """A visit naming this target and none of the others."""
    others = [name for name in TARGETS if name != target]
    return {"required": [target, *needed], "not": {"anyOf": [{"required": [name]} for name in others]}}


VISIT_BODY = {
    "type": "object", "required": ["task"], "additionalProperties": False,
    "description": "exactly one target: room (25-digit address code), building (17 digits), place (register code) "
                   "or enterprise (18-character unified social credit code, with lon and lat)",
    "properties": {
        "task": {"enum": [value for value, _ in Visit.Task.choices],
                 "description": "household 入户, publicity 宣传, inspection 巡查, control 管控, handling 处置, "
                                "report 报告"},
        "room": {"type": "string", "pattern": "^[0-9]{25}$"},
        "building": {"type": "string", "pattern": "^[0-9]{17}$"},
        "place": {"type": "string", "pattern": "^[!-~](?:[ -~]{0,30}[!-~])?$"},
        "enterprise": {"type": "string", "pattern": f"^{ENTERPRISE.pattern}$"},
        "lon": {"type": "number", "minimum": CHINA_LON[0], "maximum": CHINA_LON[1]},
        "lat": {"type": "number", "minimum": CHINA_LAT[0], "maximum": CHINA_LAT[1]},
        "note": {"type": "string", "maxLength": NOTE_MAX}, "photo": {"type": "string", "maxLength": PHOTO_MAX},
        "client_id": {"type": "string", "pattern": "^[A-Za-z0-9._:@-]{1,64}$"},
        "visited_at": {"type": "string", "format": "date-time",
                       "description": "the phone's time of the visit (recorded offline); not in the future, at most "
                                      "GRIDMAP_VISIT_MAX_AGE_DAYS (30) old. Default: when the server records it"},
        "incident": {"type": "object", "required": ["category"], "additionalProperties": False,
                     "description": "an incident report's fields without a location: opened at the target, "
                                    "in the same transaction, as a grid discovery",
                     "properties": {
                         "category": {"enum": [value for value, _ in Incident.Category.choices]},
                         "severity": {"enum": [value for value, _ in Incident.Severity.choices]},
                         "risk_level": {"enum": [value for value, _ in Incident.Risk.choices]},
                         "description": {"type": "string", "maxLength": DESCRIPTION_MAX}}},
    },
    "oneOf": [_only("room"), _only("building"), _only("place"), _only("enterprise", "lon", "lat")],
}
VISIT = {"type": "object", "required": ["id", "task", "target", "grid_code", "visited_at"], "properties": {
    "id": {"type": "integer"}, "task": {"type": "string"}, "target": {"type": "object"},
    "grid_code": {"type": ["string", "null"]}, "lon": {"type": "number"}, "lat": {"type": "number"},
    "visited_at": {"type": "string"}, "recorded_at": {"type": "string", "description": "the server's time"},
    "username": {"type": "string"}, "incident": {"type": ["integer", "null"]},
    "note": {"type": "string"}, "photo": {"type": "string"}}}

PATHS["/api/visits"] = {
    "get": _operation(
        "visits", "visits and checks in the caller's area over a period (notes only with the personal-data right)",
        _ok("the visits, newest first", {"type": "object", "properties": {
            "since": {"type": "string"}, "until": {"type": "string"}, "visits": {"type": "array", "items": VISIT}}}),
        parameters=[_query("area", AREA_CODE, "only visits in this area"),
                    _query("since", DATE, "from this day (default: 6 days before until)"),
                    _query("until", DATE, "to this day, inclusive (default: today)"),
                    _query("task", {"enum": [value for value, _ in Visit.Task.choices]}, "one task")],
        errors=("400",), tags=("field",)),
    "post": _operation(
        "visit", "record a visit or check; with `incident`, open a matter at the target in the same call",
        _ok("the visit (a replay of a client_id: the first one)", VISIT,
            headers={"Idempotent-Replayed": {"schema": {"const": "true"}, "description": "a replay"}}),
        body={JSON: {"schema": VISIT_BODY}}, ok_status="201", errors=("400", "403", "404", "409", "413"),
        tags=("field",)),
}

# --- cameras and video patrols ---------------------------------------------------------------------------------

CAMERA_PROPERTIES = {
    "code": {"type": "string"}, "name": {"type": "string"}, "grid_code": {"type": ["string", "null"]},
    "channel_id": {"type": ["string", "null"], "pattern": channels.CHANNEL_PATTERN,
                   "description": "GB/T 28181 channel id: centre 8, industry 2, type 131/132, serial 7"},
    "stream_url": {"type": ["string", "null"], "description": "rtsp, rtsps, http or https; no credentials"},
    "department": {"type": ["string", "null"]}, "department_name": {"type": ["string", "null"]}}
NEAR_CAMERA = {"type": "object", "required": ["id", "code", "distance_m", "lon", "lat"], "properties": {
    "id": {"type": "integer"}, **CAMERA_PROPERTIES, "lon": {"type": "number"}, "lat": {"type": "number"},
    "distance_m": {"type": "number", "description": "metres on the WGS84 spheroid"}}}
VIDEO_PATROL = {"type": "object", "required": ["id", "username", "started_at", "ended_at", "cameras"], "properties": {
    "id": {"type": "integer"}, "username": {"type": "string"}, "worker": {"type": ["string", "null"]},
    "started_at": {"type": "string"}, "ended_at": {"type": "string"}, "minutes": {"type": "number"},
    "cameras": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string"}, "channel_id": {"type": ["string", "null"]},
        "grid_code": {"type": ["string", "null"]}}}},
    "incident": {"type": ["integer", "null"]}, "note": {"type": "string"}}}
VIDEO_PATROL_BODY = {
    "type": "object", "required": ["cameras", "started_at", "ended_at"], "additionalProperties": False,
    "properties": {
        "cameras": {"type": "array", "minItems": 1, "maxItems": videopatrols.CAMERAS_MAX,
                    "items": {"type": "string", "minLength": 1, "maxLength": 32},
                    "description": "the cameras looked at: place codes or GB/T 28181 channel ids, all in your area"},
        "started_at": {"type": "string", "format": "date-time",
                       "description": "ISO 8601 with an offset"},
        "ended_at": {"type": "string", "format": "date-time",
                     "description": "ISO 8601 with an offset; not before started_at, at most "
                                    f"{videopatrols.MAX_HOURS} h after it, not in the future"},
        "note": {"type": "string", "maxLength": videopatrols.NOTE_MAX},
        "client_id": {"type": "string", "pattern": "^[A-Za-z0-9._:@-]{1,64}$"},
        "incident": {"type": "object", "required": ["category"], "additionalProperties": False,
                     "description": "a matter seen on a camera: opened at that camera (`camera`, default the first) "
                                    "in the same transaction, as a grid discovery",
                     "properties": {
                         "camera": {"type": "string"},
                         "category": {"enum": [value for value, _ in Incident.Category.choices]},
                         "severity": {"enum": [value for value, _ in Incident.Severity.choices]},
                         "risk_level": {"enum": [value for value, _ in Incident.Risk.choices]},
                         "description": {"type": "string", "maxLength": DESCRIPTION_MAX}}},
    },
}
PATHS["/api/cameras"] = {"get": _operation(
    "cameras", "the cameras in the caller's area (GB/T 28181 channel id or stream URL, owning department)",
    _ok("the cameras by code, at most 5000 (`truncated` says when there were more)",
        {"type": "object", "properties": {"type": {"const": "FeatureCollection"}, "truncated": {"type": "boolean"},
                                          "features": {"type": "array"}}}, GEOJSON),
    parameters=[_query("bbox", {"type": "string"}, "minlon,minlat,maxlon,maxlat (WGS84; min ≤ max)"),
                _query("area", AREA_CODE, "only cameras in this area"),
                _query("department", {"type": "string", "maxLength": 32}, "only this department's (code)")],
    errors=("400",), tags=("field",))}
PATHS["/api/incidents/{id}/cameras"] = {"get": _operation(
    "incident_cameras", "the cameras in the caller's area nearest a matter, with their distance in metres",
    _ok("nearest first", {"type": "object", "required": ["incident", "cameras"], "properties": {
        "incident": {"type": "integer"}, "lon": {"type": "number"}, "lat": {"type": "number"},
        "limit": {"type": "integer"}, "radius": {"type": "number"},
        "cameras": {"type": "array", "items": NEAR_CAMERA}}}),
    parameters=[_path("id", {"type": "integer"}, "the incident"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": cameras.LIMIT_MAX},
                       f"at most this many (default {cameras.LIMIT_DEFAULT})"),
                _query("radius", {"type": "number", "minimum": 1, "maximum": cameras.RADIUS_MAX},
                       f"none farther than this many metres (default {cameras.RADIUS_DEFAULT:g})")],
    errors=("400", "404"), tags=("field",),
    description="A matter the caller cannot see is a 404; cameras outside the caller's area are never listed.")}
PATHS["/api/videopatrols"] = {
    "get": _operation(
        "videopatrols", "video patrols that looked at cameras in the caller's area (notes with the personal-data "
                        "right, audited)",
        _ok("newest first; each with the cameras inside the caller's area", {"type": "object", "properties": {
            "since": {"type": "string"}, "until": {"type": "string"},
            "video_patrols": {"type": "array", "items": VIDEO_PATROL}}}),
        parameters=[_query("area", AREA_CODE, "only patrols over cameras in this area"),
                    _query("since", DATE, "from this day (default: 6 days before until)"),
                    _query("until", DATE, "to this day, inclusive (default: today)")],
        errors=("400",), tags=("field",)),
    "post": _operation(
        "videopatrol", "record a video patrol: who looked at which cameras, when; with `incident`, open a matter",
        _ok("the video patrol (a replay of a client_id: the first one)", VIDEO_PATROL,
            headers={"Idempotent-Replayed": {"schema": {"const": "true"}, "description": "a replay"}}),
        body={JSON: {"schema": VIDEO_PATROL_BODY}}, ok_status="201", errors=("400", "403", "404", "409", "413"),
        tags=("field",)),
}

COVERAGE = {"type": "object", "description": "a unit's coverage over the period (field/coverage.py defines each)",
            "properties": {
                "length_km": {"type": "number"}, "hours_out": {"type": "number"},
                "patrols": {"type": "integer", "description": "track pieces + video patrols"},
                "video_patrols": {"type": "integer", "description": "video patrols over the unit's cameras"},
                "buildings": {"type": "integer"}, "buildings_passed": {"type": "integer"},
                "share_passed": {"type": ["number", "null"], "description": "passed within 30 m ÷ buildings"},
                "households_visited": {"type": "integer"}, "visits": {"type": "integer"},
                "key_places": {"type": "integer"}, "key_places_checked": {"type": "integer"},
                "key_places_overdue": {"type": "integer",
                                       "description": "last check older than the kind's cadence, or none"},
                "last_seen": {"type": ["string", "null"]}, "days_since_seen": {"type": ["integer", "null"]}}}

PATHS["/api/coverage/{code}"] = {
    "get": _operation(
        "coverage", "a unit's patrol coverage over a period, and each of its basic grids'",
        _ok("the unit and its grids", {"type": "object", "required": ["area", "unit", "grids"], "properties": {
            "area": {"type": "object"}, "since": {"type": "string"}, "until": {"type": "string"},
            "not_visited": {"type": ["integer", "null"]}, "unit": COVERAGE,
            "grids": {"type": "array", "items": COVERAGE}}}),
        parameters=[_path("code", AREA_CODE, "area code (county, township, village or basic grid)"),
                    _query("since", DATE, "from this day (default: 6 days before until)"),
                    _query("until", DATE, "to this day, inclusive (default: today)"),
                    _query("not_visited", {"type": "integer", "minimum": 1, "maximum": 365},
                           "only the grids where no track and no visit was recorded in the last N days")],
        errors=("400", "403", "404"), tags=("field",),
        description="Counts and sums only (no track): every role that may read the unit sees them, except "
                    "department accounts (403: a department sees the matters dispatched to it)."),
}
