"""POST /api/videopatrols and GET /api/videopatrols: video patrols (视频巡查) over the cameras, and the figure
"video patrols".

A video patrol names the cameras looked at (by their place code or GB/T 28181 channel id; every one inside the
caller's area, else 404 and nothing stored), when the patrol started and ended, an optional note, and an
optional matter seen on the way (`incident`: the fields of a report, opened at the position of the camera
named by `incident.camera`, by default the first, in the same transaction). Each camera looked at is a row
with the camera's grid, so the area scope and the figures are a prefix on it.

The figure is defined once, in field/sql/functions/10_video_patrols.sql; `unit_figures` and
`worker_figures` are its readers' entry (the /api/stats section, the workload page's panel, and the patrol
counts that add video patrols to the track-based ones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from field.models import Camera, VideoPatrol, VideoPatrolCamera
from field.patrols import worker_of
from geo import once, sql
from geo.access import Access, audit
from geo.errors import Conflict, InvalidInput, NotFound
from geo.models import AuditRecord
from layers.incidents import inputs
from layers.incidents.intake import intake, parse_report
from layers.models import Incident

NOTE_MAX = 2000
CAMERAS_MAX = 500
MAX_HOURS = 24
FIELDS = {"cameras", "started_at", "ended_at", "note", "client_id", "incident"}


def _moment(data: Mapping[str, Any], name: str) -> dt.datetime:
    value = inputs.moment(data.get(name), name)
    if value is None:
        raise InvalidInput(_("%(name)s: required (ISO 8601 with an offset)") % {"name": name}, field=name)
    return value


def _cameras(access: Access, data: Mapping[str, Any]) -> list[Camera]:
    given = data.get("cameras")
    if not isinstance(given, list) or not given or not all(isinstance(c, str) and c for c in given):
        raise InvalidInput(_("cameras: a non-empty list of camera codes or GB/T 28181 channel ids"), field="cameras")
    if len(given) > CAMERAS_MAX:
        raise InvalidInput(_("cameras: at most %(n)d in one patrol") % {"n": CAMERAS_MAX}, field="cameras")
    wanted = list(dict.fromkeys(c.strip() for c in given))
    found = {}
    for camera in Camera.objects.filter(code__in=wanted) | Camera.objects.filter(channel_id__in=wanted):
        found.setdefault(camera.code, camera)
        if camera.channel_id:
            found.setdefault(camera.channel_id, camera)
    out = []
    for key in wanted:
        camera = found.get(key)
        if camera is None or not camera.grid_id or (access.scope and not camera.grid_id.startswith(access.scope)):
            raise NotFound(_("cameras: no camera %(code)s in your area") % {"code": key[:40]}, field="cameras")
        if camera not in out:
            out.append(camera)
    return out


def record(access: Access, data: Any) -> tuple[VideoPatrol, bool]:
    """Store a video patrol (and its incident); (patrol, created). The caller checked "report"."""
    if not isinstance(data, Mapping):
        raise InvalidInput(_("body: expected a JSON object"), field="body")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidInput(_("%(name)s: not a field of a video patrol (fields: %(fields)s)")
                           % {"name": unknown[0], "fields": ", ".join(sorted(FIELDS))}, field=unknown[0])
    client_id = inputs.client_id(data)
    if (first := once.earlier(VideoPatrol, client_id)) is not None:
        return _replay(access, first), False
    # The cameras first: naming a camera outside one's area is a 404 whatever the times say.
    cameras = _cameras(access, data)
    started, ended = _moment(data, "started_at"), _moment(data, "ended_at")
    now = timezone.now()
    if ended < started:
        raise InvalidInput(_("ended_at: before started_at"), field="ended_at")
    if ended - started > dt.timedelta(hours=MAX_HOURS):
        raise InvalidInput(_("ended_at: a video patrol lasts at most %(h)d hours") % {"h": MAX_HOURS},
                           field="ended_at")
    if ended > now + dt.timedelta(minutes=5):
        raise InvalidInput(_("ended_at: in the future"), field="ended_at")
    note = inputs.text(data, "note", max_length=NOTE_MAX)
    report = None
    fields = data.get("incident")
    if fields is not None:
        if not isinstance(fields, Mapping):
            raise InvalidInput(_("incident: expected an object with the report's fields (category, description…)"),
                               field="incident")
        placed = [n for n in ("lon", "lat", "location", "address_code", "geometry") if n in fields]
        if placed:
            raise InvalidInput(_("incident.%(name)s: the matter is placed at the camera that saw it; name it with "
                                 "incident.camera") % {"name": placed[0]}, field="incident")
        fields = dict(fields)
        seen_by = fields.pop("camera", None)
        camera = cameras[0]
        if seen_by is not None:
            camera = next((c for c in cameras if seen_by in (c.code, c.channel_id)), None)
            if camera is None:
                raise InvalidInput(_("incident.camera: %(code)r is not one of the patrol's cameras")
                                   % {"code": str(seen_by)[:40]}, field="incident")
        # Seen on a camera by the center's patrol: a discovery of the grid system, as a visit's is.
        report = parse_report({**fields, "lon": camera.location.x, "lat": camera.location.y},
                              default_source=Incident.Source.GRID)
    def create() -> VideoPatrol:
        incident = intake(access, report).incident if report is not None else None
        patrol = VideoPatrol.objects.create(
            client_id=client_id, user_id=access.user_id, username=access.username, worker_id=worker_of(access),
            started_at=started, ended_at=ended, note=note, incident=incident)
        VideoPatrolCamera.objects.bulk_create(
            VideoPatrolCamera(patrol=patrol, camera=c, grid_id=c.grid_id, started_at=started) for c in cameras)
        audit(access, AuditRecord.Action.VIDEO_PATROL, target=f"video patrol {patrol.pk}",
              detail={"cameras": [c.code for c in cameras[:50]], "incident": incident.pk if incident else None},
              rows=len(cameras))
        return patrol

    return once.create_once(VideoPatrol, client_id, create, lambda first: _replay(access, first),
                            _("the video patrol could not be stored; retry"))


def _replay(access: Access, patrol: VideoPatrol) -> VideoPatrol:
    if patrol.user_id != access.user_id:
        raise Conflict(_("client_id %(id)s was already used by another user") % {"id": patrol.client_id},
                       field="client_id")
    return patrol


def patrol_dict(patrol: VideoPatrol, access: Access, prefix: str | None = None) -> dict[str, Any]:
    """A video patrol as the API shows it: the cameras inside `prefix` (the caller's area) only; the note (it may
    describe people seen) with the personal-data right only."""
    views = [v for v in patrol.views.all() if not prefix or (v.grid_id or "").startswith(prefix)]
    body = {"id": patrol.pk, "username": patrol.username,
            "worker": patrol.worker.employee_no if patrol.worker_id and patrol.worker else None,
            "started_at": timezone.localtime(patrol.started_at).isoformat(),
            "ended_at": timezone.localtime(patrol.ended_at).isoformat(),
            "minutes": round((patrol.ended_at - patrol.started_at).total_seconds() / 60, 1),
            "cameras": [{"code": v.camera.code, "channel_id": v.camera.channel_id, "grid_code": v.grid_id}
                        for v in sorted(views, key=lambda v: v.camera.code)],
            "incident": patrol.incident_id}
    if access.personal_data:
        body["note"] = patrol.note
    return body


def list_patrols(prefix: str | None, since: dt.date, until: dt.date) -> list[VideoPatrol]:
    """The video patrols that looked at a camera inside `prefix`, started in [since, until] (local days)."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    views = VideoPatrolCamera.objects.filter(started_at__gte=start, started_at__lt=end)
    if prefix:
        views = views.filter(grid__code__startswith=prefix)
    ids = views.values("patrol_id")
    return list(VideoPatrol.objects.filter(pk__in=ids).select_related("worker")
                .prefetch_related("views__camera").order_by("-started_at", "-id")[:5000])


# --- the figure ---------------------------------------------------------------------------------------------------

FIGURES = ("video_patrols", "cameras_viewed", "camera_views", "hours", "cameras")


def unit_figures(codes: list[str], since: dt.datetime, until: dt.datetime) -> dict[str, dict[str, Any]]:
    """The figure for each unit (all codes of one length: a county, townships, villages or basic grids), from the
    SQL definitions: {code: {video_patrols, cameras_viewed, camera_views, hours, cameras}}."""
    out = {code: {"video_patrols": 0, "cameras_viewed": 0, "camera_views": 0, "hours": 0.0, "cameras": 0}
           for code in codes}
    for length in sorted({len(c) for c in codes}):
        same = [c for c in codes if len(c) == length]
        prefix = _common_prefix(same)
        for row in sql.rows("SELECT * FROM field_video_patrol_units(%(p)s, %(n)s, %(s)s, %(u)s)",
                            {"p": prefix, "n": length, "s": since, "u": until}):
            if row["code"] in out:
                out[row["code"]].update(video_patrols=row["video_patrols"], cameras_viewed=row["cameras_viewed"],
                                        camera_views=row["camera_views"], hours=round(row["hours"] or 0.0, 2))
        for row in sql.rows("SELECT * FROM field_camera_units(%(p)s, %(n)s)", {"p": prefix, "n": length}):
            if row["code"] in out:
                out[row["code"]]["cameras"] = row["cameras"]
    return out


def worker_figures(prefix: str, since: dt.datetime, until: dt.datetime) -> dict[int, dict[str, Any]]:
    """{worker id: {video_patrols, cameras_viewed, hours}} for the patrols looking at cameras inside `prefix`:
    what the workers' patrol count adds to their track-based patrols."""
    return {r["worker_id"]: {"video_patrols": r["video_patrols"], "cameras_viewed": r["cameras_viewed"],
                             "hours": round(r["hours"] or 0.0, 2)}
            for r in sql.rows("SELECT * FROM field_video_patrol_workers(%(p)s, %(s)s, %(u)s)",
                              {"p": prefix or "", "s": since, "u": until})}


def _common_prefix(codes: list[str]) -> str:
    first, last = min(codes), max(codes)
    n = 0
    while n < len(first) and first[n] == last[n]:
        n += 1
    return first[:n]


def stats_section(access: Access, area, children: list[str], period=None, params=None) -> dict[str, Any]:
    """The `video_patrols` part of /api/stats/<code>: the unit's figure over the asked period, and its
    children's when asked."""
    if period is None:
        return {}
    codes = [area.code, *children]
    figures = unit_figures(codes, period.since, period.until)
    body = {"unit": figures[area.code]}
    if children:
        body["children"] = {c: figures[c] for c in children}
    return body

