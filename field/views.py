"""/api/patrols: upload a batch of fixes (POST); read the tracks inside one's area (GET).
/api/visits: record a visit or check, with an incident opened on the spot (POST); list them (GET).
/api/cameras, /api/incidents/<id>/cameras: cameras in the area, and nearest a matter (field/cameras.py).
/api/videopatrols: video patrols over the cameras (field/videopatrols.py).

Reading tracks needs the personal-data right (they say where a person was), shows only the pieces in
grids inside the caller's scope, and is audited as a personal read.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from field.cameras import list_cameras as camera_list
from field.cameras import nearest as nearest_cameras
from field.coverage_api import unit_coverage
from field.models import TrackPiece
from field.patrols import MAX_BODY_BYTES, parse_batch, upload
from field.videopatrols import list_patrols as video_list
from field.videopatrols import patrol_dict
from field.videopatrols import record as record_video
from field.visits import list_visits, record, visit_dict
from geo import http
from geo.access import Access, audit_personal_read, require
from geo.errors import Forbidden, InvalidInput
from geo.openapi import AREA_CODE
from layers.incidents.filters import effective_prefix

GEOJSON = "application/geo+json"
WHAT = "a patrol batch"
CODE = re.compile(AREA_CODE["pattern"])
LIST_MAX = 5000
WORKER_MAX = 32
VISIT_BODY_BYTES = 16 * 1024  # a visit is a few fields and a note of at most 2,000 characters
VIDEO_BODY_BYTES = 64 * 1024  # up to 500 camera codes of 20 digits, a note and a report


@require_http_methods(["GET", "POST"])
def patrols(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        access = require(request, "view")
        return http.answer(list_tracks(access, request.GET), content_type=GEOJSON)
    access = require(request, "report")
    http.check_length(request.META.get("CONTENT_LENGTH") or "0", MAX_BODY_BYTES, WHAT)
    if not http.is_json(request.content_type):
        raise InvalidInput("body: send the batch as JSON (Content-Type: application/json)", field="body")
    batch = parse_batch(http.parse_json(request.body, max_bytes=MAX_BODY_BYTES, what=WHAT))
    outcome = upload(access, batch)
    headers = {} if outcome.created else {"Idempotent-Replayed": "true"}
    # A replay answers as the first upload did (201, the same report), marked Idempotent-Replayed, as
    # incident intake does: a phone retrying after a lost answer cannot tell, and need not.
    return http.answer(outcome.report, status=201, headers=headers)


def list_tracks(access: Access, params) -> dict[str, Any]:
    """The track pieces in the caller's area over a period (default: the last 7 days), newest first."""
    if not access.personal_data:
        raise Forbidden(f"{access.username}: patrol tracks are personal data (where a person was); "
                        "reading them needs the personal-data right")
    area = params.get("area") or None
    if area is not None and not CODE.fullmatch(area):
        raise InvalidInput(f"area: {area!r} is not an area code", field="area")
    prefix = effective_prefix(access.scope, area)
    until = http.parse_day(params.get("until"), "until") or timezone.localdate()
    since = http.parse_day(params.get("since"), "since") or until - dt.timedelta(days=6)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    pieces = TrackPiece.objects.none() if prefix is False or since > until else TrackPiece.objects.filter(
        started_at__lt=end, ended_at__gte=start)
    if prefix:
        pieces = pieces.filter(grid__code__startswith=prefix)
    worker = params.get("worker")
    if worker and len(worker) > WORKER_MAX:
        raise InvalidInput(f"worker: an employee number has at most {WORKER_MAX} characters", field="worker")
    if worker:
        pieces = pieces.filter(track__worker__employee_no=worker)
    rows = list(pieces.select_related("track", "track__worker").order_by("-started_at", "track_id", "grid_id")
                [:LIST_MAX])
    if rows:
        audit_personal_read(access, "tracks", sorted({p.track_id for p in rows})[:200], ["track"],
                            target=f"patrols {prefix or '*'} {since}..{until}", rows=len(rows))
    return {"type": "FeatureCollection", "since": str(since), "until": str(until), "truncated": len(rows) == LIST_MAX,
            "features": [_feature(p) for p in rows]}


def _feature(piece: TrackPiece) -> dict[str, Any]:
    track = piece.track
    return {"type": "Feature", "id": f"{track.pk}-{piece.grid_id}",
            "geometry": {"type": "MultiLineString", "coordinates": piece.path.coords},
            "properties": {"track": track.pk, "grid_code": piece.grid_id, "username": track.username,
                           "worker": track.worker.employee_no if track.worker else None,
                           "started_at": timezone.localtime(piece.started_at).isoformat(),
                           "ended_at": timezone.localtime(piece.ended_at).isoformat(),
                           "length_m": round(piece.length_m, 1)}}


@require_http_methods(["GET", "POST"])
def visits(request: HttpRequest) -> JsonResponse:
    """GET: visits in the caller's area over a period. POST: record a visit (and open an incident)."""
    if request.method == "GET":
        access = require(request, "view")
        return http.answer(visit_list(access, request.GET))
    access = require(request, "report")
    http.check_length(request.META.get("CONTENT_LENGTH") or "0", VISIT_BODY_BYTES, "a visit")
    visit, created = record(access, http.parse_json(request.body, max_bytes=VISIT_BODY_BYTES, what="a visit",
                                                    empty={}))
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return http.answer(visit_dict(visit, access), status=201, headers=headers)


def visit_list(access: Access, params) -> dict[str, Any]:
    """Visits in the caller's area (default: the last 7 days); notes and photos with the personal-data
    right only, and such a read is audited."""
    prefix, since, until = _period_and_area(access, params)
    found = [] if prefix is False or since > until else list_visits(access, params, since=since, until=until,
                                                                     prefix=prefix)
    audit_personal_read(access, "visits", [v.pk for v in found[:200]], ["note", "photo"],
                        target=f"visits {prefix or '*'} {since}..{until}", rows=len(found))
    return {"since": str(since), "until": str(until), "visits": [visit_dict(v, access) for v in found]}


def _period_and_area(access: Access, params):
    area = params.get("area") or None
    if area is not None and not CODE.fullmatch(area):
        raise InvalidInput(f"area: {area!r} is not an area code", field="area")
    until = http.parse_day(params.get("until"), "until") or timezone.localdate()
    since = http.parse_day(params.get("since"), "since") or until - dt.timedelta(days=6)
    return effective_prefix(access.scope, area), since, until


@require_http_methods(["GET"])
def cameras(request: HttpRequest) -> JsonResponse:
    """GET /api/cameras: the cameras in the caller's area (bbox, area, department filters)."""
    access = require(request, "view")
    return http.answer(camera_list(access, request.GET), content_type=GEOJSON)


@require_http_methods(["GET"])
def incident_cameras(request: HttpRequest, pk: int) -> JsonResponse:
    """GET /api/incidents/<id>/cameras: the cameras in the caller's area nearest the matter, with distances."""
    access = require(request, "view")
    return http.answer(nearest_cameras(access, pk, request.GET))


@require_http_methods(["GET", "POST"])
def videopatrols(request: HttpRequest) -> JsonResponse:
    """GET: the video patrols over cameras in the caller's area. POST: record one (and open an incident)."""
    if request.method == "GET":
        access = require(request, "view")
        prefix, since, until = _period_and_area(access, params=request.GET)
        found = [] if prefix is False or since > until else video_list(prefix, since, until)
        if access.personal_data and found:
            audit_personal_read(access, "video patrols", [p.pk for p in found[:200]], ["note"],
                                target=f"videopatrols {prefix or '*'} {since}..{until}", rows=len(found))
        return http.answer({"since": str(since), "until": str(until),
                            "video_patrols": [patrol_dict(p, access, prefix or None) for p in found]})
    access = require(request, "report")
    http.check_length(request.META.get("CONTENT_LENGTH") or "0", VIDEO_BODY_BYTES, "a video patrol")
    patrol, created = record_video(access, http.parse_json(request.body, max_bytes=VIDEO_BODY_BYTES,
                                                           what="a video patrol", empty={}))
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return http.answer(patrol_dict(patrol, access, access.scope), status=201, headers=headers)


@require_http_methods(["GET"])
def coverage(request: HttpRequest, code: str) -> JsonResponse:
    """GET /api/coverage/<code>: the unit's coverage and each basic grid's (counts, no track)."""
    access = require(request, "view")
    return http.answer(unit_coverage(access, code, request.GET))
