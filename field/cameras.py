"""Cameras in the caller's area (GET /api/cameras) and the cameras nearest a matter
(GET /api/incidents/<id>/cameras).

The nearest cameras are found in two steps, both on the index: KNN (`ORDER BY location <-> point`, on the
partial GiST index of the places that are cameras) gives the `limit` cameras nearest in degrees; the farthest
of those, measured on the spheroid, bounds how far the true nearest can be, so every camera inside that bound
(and the radius) is then taken through the same index (a box around the point) and measured exactly
(`ST_Distance` on geography, metres on the WGS84 spheroid). Degrees are not metres (a degree of longitude at
35°N is 0.82 of a degree of latitude), so the first step alone could order two cameras wrongly; the second
makes the order and the distances the exact ones, as tests/field/test_cameras.py checks against a direct
computation over every camera.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from geo import sql
from geo.access import Access
from geo.errors import InvalidInput, NotFound
from geo.openapi import AREA_CODE
from layers.desk.scope import visible
from layers.exports.query import parse_bbox
from layers.incidents.filters import effective_prefix
from layers.models import Incident

LIMIT_DEFAULT, LIMIT_MAX = 10, 50
RADIUS_DEFAULT, RADIUS_MAX = 1000.0, 10000.0
LIST_MAX = 5000
# Metres per degree of latitude at its shortest (the equator), and of longitude at the equator: the box of the
# second step is made from these, widened by the cosine of the latitude farthest from the equator it reaches.
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0

CAMERA_COLUMNS = """
    p.id, p.code, p.name, p.grid_code, c.channel_id, c.stream_url, d.code AS department, d.name AS department_name,
    ST_X(p.location) AS lon, ST_Y(p.location) AS lat"""

NEAREST = f"""
WITH here AS (
    SELECT location FROM layers_incident WHERE id = %(incident)s
), knn AS (
    SELECT p.location FROM layers_place p JOIN field_camera c ON c.place_ptr_id = p.id
    WHERE p.kind = 'camera' AND p.grid_code LIKE %(prefix)s
    ORDER BY p.location <-> (SELECT location FROM here)
    LIMIT %(limit)s
), bound AS (
    SELECT LEAST(%(radius)s, coalesce(max(ST_Distance(k.location::geography, h.location::geography)), 0)) AS r,
           h.location AS at
    FROM here h LEFT JOIN knn k ON true GROUP BY h.location
), box AS (
    SELECT b.at, b.r,
           ST_Expand(b.at,
                     b.r / {M_PER_DEG_LON}
                         / cos(radians(least(89.0, abs(ST_Y(b.at)) + b.r / {M_PER_DEG_LAT} + 0.01))) * 1.001 + 1e-9,
                     b.r / {M_PER_DEG_LAT} * 1.001 + 1e-9) AS area
    FROM bound b
)
SELECT {CAMERA_COLUMNS}, ST_Distance(p.location::geography, box.at::geography) AS metres
FROM box, layers_place p
JOIN field_camera c ON c.place_ptr_id = p.id
LEFT JOIN layers_department d ON d.id = c.department_id
WHERE p.kind = 'camera' AND p.grid_code LIKE %(prefix)s
  AND p.location && box.area
  AND ST_DWithin(p.location::geography, box.at::geography, box.r, true)
ORDER BY metres, p.code
LIMIT %(limit)s
"""


def _number(params: Mapping[str, Any], name: str, default: float, low: float, high: float, *, integer: bool) -> float:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw) if integer else float(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or not math.isfinite(value) or not low <= value <= high:
        kind = _("a whole number") if integer else _("a number")
        raise InvalidInput(_("%(name)s: expected %(kind)s from %(low)s to %(high)s, got %(raw)r")
                           % {"name": name, "kind": kind, "low": f"{low:g}", "high": f"{high:g}", "raw": str(raw)[:40]},
                           field=name)
    return value


def camera_properties(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"code": row["code"], "name": row["name"], "grid_code": row["grid_code"],
            "channel_id": row["channel_id"], "stream_url": row["stream_url"] or None,
            "department": row["department"], "department_name": row["department_name"]}


def nearest(access: Access, incident_id: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """The cameras in the caller's area nearest the matter (which the caller must be able to see), nearest
    first, each with its distance in metres; at most `limit`, none farther than `radius` metres."""
    limit = int(_number(params, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX, integer=True))
    radius = _number(params, "radius", RADIUS_DEFAULT, 1, RADIUS_MAX, integer=False)
    # The matter must be one the caller sees (area scope; a department's dispatches): the same rule as
    # GET /api/incidents/<id>, asked for its position only (the full row costs more than the search).
    found = visible(access, Incident.objects.all()).filter(pk=incident_id).values_list("location", flat=True)[:1]
    if not found:
        raise NotFound(_("no incident %(id)s") % {"id": incident_id})
    at = found[0]
    rows = sql.rows(NEAREST, {"incident": incident_id, "prefix": (access.scope or "") + "%", "limit": limit,
                              "radius": radius}, prepare=True)
    return {"incident": incident_id, "lon": at.x, "lat": at.y, "limit": limit, "radius": radius,
            "cameras": [{"id": r["id"], **camera_properties(r), "lon": r["lon"], "lat": r["lat"],
                         "distance_m": round(r["metres"], 1)} for r in rows]}


LIST = f"""
SELECT {CAMERA_COLUMNS}
FROM layers_place p
JOIN field_camera c ON c.place_ptr_id = p.id
LEFT JOIN layers_department d ON d.id = c.department_id
WHERE p.kind = 'camera' AND p.grid_code LIKE %(prefix)s
  AND (%(minx)s::float8 IS NULL OR p.location && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326))
  AND (%(department)s::text IS NULL OR d.code = %(department)s)
ORDER BY p.code
LIMIT %(limit)s
"""


def list_cameras(access: Access, params: Mapping[str, Any]) -> dict[str, Any]:
    """The cameras in the caller's area, optionally inside a box, an area or of a department (GeoJSON)."""
    import re

    area = params.get("area") or None
    if area is not None and not re.fullmatch(AREA_CODE["pattern"], area):
        raise InvalidInput(_("area: %(area)r is not an area code") % {"area": area[:40]}, field="area")
    prefix = effective_prefix(access.scope, area)
    box = parse_bbox(params["bbox"]) if params.get("bbox") else (None, None, None, None)
    department = params.get("department") or None
    if department is not None and len(department) > 32:
        raise InvalidInput(_("department: a department code has at most 32 characters"), field="department")
    rows = [] if prefix is False else sql.rows(LIST, {
        "prefix": (prefix or "") + "%", "minx": box[0], "miny": box[1], "maxx": box[2], "maxy": box[3],
        "department": department, "limit": LIST_MAX + 1})
    truncated = len(rows) > LIST_MAX
    return {"type": "FeatureCollection", "truncated": truncated,
            "features": [{"type": "Feature", "id": r["id"],
                          "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                          "properties": camera_properties(r)} for r in rows[:LIST_MAX]]}
