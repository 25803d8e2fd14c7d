"""POST /api/patrols: a batch of GPS fixes becomes cleaned, placed patrol tracks, exactly once.

Idempotency is the database's: the batch row is inserted first with ON CONFLICT (batch_id) DO NOTHING,
in the transaction that writes the tracks. A concurrent upload of the same batch waits on the unique
index until the first commits, finds the row, and answers the first upload's report; a batch id reused
for different fixes, or by another user, is a 409. Nothing is written when the batch is refused (every
fix outside the uploader's area: 403; a malformed body: 400; too large: 413).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from field import cleaning
from field.models import PatrolBatch
from geo import sql
from geo.access import Access, audit
from geo.errors import Conflict, Forbidden, InvalidInput, PayloadTooLarge
from geo.models import AuditRecord, Profile
from grids.models import Worker

# 500 fixes a batch is the phone's usual size (a fix every 5-10 s for an hour); 5,000 is a day offline.
MAX_FIXES = 5000
# ~80 bytes a fix as GeoJSON: 5,000 fixes fit in 512 KiB; a body larger than 1 MiB is refused unread.
MAX_BODY_BYTES = 1024 * 1024
BATCH_ID_MAX = 64
# A UUID, a phone's serial and a counter, a time stamp: letters, digits and . _ : - only, so an id reads
# the same in a log, a URL and the audit trail.
BATCH_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
COMPACT_KEYS = {"batch_id", "gcj02", "fixes"}
GEOJSON_KEYS = {"type", "batch_id", "gcj02", "features"}


@dataclass(frozen=True)
class Batch:
    batch_id: str
    raw: list[tuple[Any, Any, Any, Any]]
    gcj02: bool

    def digest(self) -> str:
        """What a retry must repeat: the same fixes (and the same coordinate system) under the same id."""
        body = json.dumps([self.gcj02, self.raw], ensure_ascii=False, default=str, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()


def parse_batch(data: Any) -> Batch:
    """A batch from either form, naming the field on any error:

    - compact: {"batch_id": "...", "fixes": [[time, lon, lat, accuracy?], ...], "gcj02": false}
    - GeoJSON: {"type": "FeatureCollection", "batch_id": "...", "gcj02": false, "features": [
      {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
       "properties": {"time": ..., "accuracy": ...}}, ...]}

    A fix that is not a position (NaN, null, text) is not an error of the batch: the cleaning drops it
    and reports it by its index. The structure itself must hold.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("body: expected a JSON object", field="body")
    batch_id = data.get("batch_id")
    if not isinstance(batch_id, str) or not BATCH_ID.fullmatch(batch_id):
        raise InvalidInput(f"batch_id: required, 1-{BATCH_ID_MAX} letters, digits or . _ : - chosen by the phone "
                           "once per batch (a UUID)", field="batch_id")
    known = GEOJSON_KEYS if data.get("type") == "FeatureCollection" else COMPACT_KEYS
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a field of a patrol batch (fields: {', '.join(sorted(known))})",
                           field=unknown[0])
    gcj02 = data.get("gcj02", False)
    if not isinstance(gcj02, bool):
        raise InvalidInput("gcj02: true or false (true when the positions come from an Amap/Tencent SDK)",
                           field="gcj02")
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise InvalidInput("features: expected a list of Point features", field="features")
        _check_count(len(features), "features")
        raw = [_feature_fix(feature, index) for index, feature in enumerate(features)]
    elif "fixes" in data:
        fixes = data.get("fixes")
        if not isinstance(fixes, list):
            raise InvalidInput("fixes: expected a list of [time, lon, lat, accuracy] arrays", field="fixes")
        _check_count(len(fixes), "fixes")
        raw = []
        for index, fix in enumerate(fixes):
            if not isinstance(fix, list) or not 3 <= len(fix) <= 4:
                raise InvalidInput(f"fixes[{index}]: expected [time, lon, lat] or [time, lon, lat, accuracy]",
                                   field="fixes")
            raw.append((fix[0], fix[1], fix[2], fix[3] if len(fix) == 4 else None))
    else:
        raise InvalidInput("body: give the fixes as \"fixes\" (compact arrays) or a GeoJSON FeatureCollection",
                           field="fixes")
    if not raw:
        raise InvalidInput("fixes: the batch holds no fix", field="fixes")
    return Batch(batch_id, raw, gcj02)


def _check_count(count: int, name: str) -> None:
    if count > MAX_FIXES:
        raise PayloadTooLarge(f"{name}: {count} fixes is more than the {MAX_FIXES} a batch may hold; "
                              "split the upload into batches of 500", field=name)


def _feature_fix(feature: Any, index: int) -> tuple[Any, Any, Any, Any]:
    where = f"features[{index}]"
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise InvalidInput(f"{where}: expected a GeoJSON Feature", field="features")
    geometry = feature.get("geometry")
    if not isinstance(geometry, Mapping) or geometry.get("type") != "Point":
        raise InvalidInput(f"{where}.geometry: expected a Point", field="features")
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or not 2 <= len(coordinates) <= 3:
        raise InvalidInput(f"{where}.geometry.coordinates: expected [lon, lat]", field="features")
    properties = feature.get("properties")
    properties = {} if properties is None else properties
    if not isinstance(properties, Mapping):
        raise InvalidInput(f"{where}.properties: expected an object", field="features")
    return properties.get("time"), coordinates[0], coordinates[1], properties.get("accuracy")


@dataclass(frozen=True)
class Outcome:
    report: dict[str, Any]
    created: bool


def worker_of(access: Access) -> int | None:
    """The Worker a user is (Profile.worker_no), so tracks count for the worker's coverage and ranking."""
    if access.user_id is None:
        return None
    number = Profile.objects.filter(user_id=access.user_id).values_list("worker_no", flat=True).first()
    if not number:
        return None
    return Worker.objects.filter(employee_no=number).values_list("pk", flat=True).first()


def upload(access: Access, batch: Batch) -> Outcome:
    """Clean, place and store a batch (or answer the report of the upload that stored it). The caller
    checked the "report" permission."""
    received_at = timezone.now()
    digest = batch.digest()
    with transaction.atomic():
        worker_id = worker_of(access)
        claimed = sql.rows(
            "INSERT INTO field_patrolbatch (batch_id, user_id, username, worker_id, received_at, digest, report) "
            "VALUES (%(batch_id)s, %(user)s, %(username)s, %(worker)s, %(at)s, %(digest)s, '{}') "
            "ON CONFLICT (batch_id) DO NOTHING RETURNING id",
            {"batch_id": batch.batch_id, "user": access.user_id, "username": access.username, "worker": worker_id,
             "at": received_at, "digest": digest})
        if not claimed:
            return _replay(access, batch, digest)
        pk = claimed[0]["id"]
        cleaned = cleaning.clean(batch.raw, received_at=received_at, gcj02=batch.gcj02)
        keep = _locate(access, cleaned)
        cleaning.split(cleaned, keep)
        if not cleaned.fixes and cleaned.dropped[cleaning.OUTSIDE_SCOPE]:
            raise Forbidden(f"every fix of batch {batch.batch_id} is outside your area {access.scope}")
        tracks = _store(pk, access, worker_id, cleaned)
        report = _report(batch, cleaned, tracks, received_at)
        PatrolBatch.objects.filter(pk=pk).update(report=report)
        audit(access, AuditRecord.Action.PATROL_UPLOAD, target=batch.batch_id,
              detail={"tracks": [t["id"] for t in tracks], "kept": len(cleaned.fixes),
                      "dropped": dict(cleaned.dropped)}, rows=len(tracks))
    return Outcome(_sorted(report), created=True)


def _locate(access: Access, cleaned: cleaning.Cleaned) -> list[bool]:
    """Which fixes lie in a grid inside the uploader's area; the others are dropped with the reason."""
    if not cleaned.fixes:
        return []
    grids = sql.run("field", "locate_fixes", {"lon": [f.lon for f in cleaned.fixes],
                                              "lat": [f.lat for f in cleaned.fixes]})
    keep = []
    for fix, row in zip(cleaned.fixes, grids, strict=True):
        code = row["grid_code"]
        if code is None:
            cleaned.drop(fix.index, cleaning.OUTSIDE_GRIDS, "in no grid of the county")
            keep.append(False)
        elif access.scope and not code.startswith(access.scope):
            cleaned.drop(fix.index, cleaning.OUTSIDE_SCOPE, f"in grid {code}, outside your area {access.scope}")
            keep.append(False)
        else:
            keep.append(True)
    return keep


def _store(pk: int, access: Access, worker_id: int | None, cleaned: cleaning.Cleaned) -> list[dict[str, Any]]:
    if not cleaned.fixes:
        return []
    fixes = cleaned.fixes
    return sql.run("field", "store_tracks", {
        "batch": pk, "username": access.username, "worker": worker_id, "seg": cleaned.segments,
        "lon": [f.lon for f in fixes], "lat": [f.lat for f in fixes],
        "t": [dt.datetime.fromtimestamp(f.t, tz=dt.UTC) for f in fixes]})


def _report(batch: Batch, cleaned: cleaning.Cleaned, tracks: list[dict[str, Any]],
            received_at: dt.datetime) -> dict[str, Any]:
    """The answer a phone shows: what was kept, what was dropped and why, the tracks made."""
    return {
        "batch_id": batch.batch_id,
        "received_at": received_at.isoformat(),
        "gcj02": batch.gcj02,
        "received": cleaned.received,
        "kept": len(cleaned.fixes),
        "reordered": cleaned.reordered,
        "dropped": {reason: cleaned.dropped[reason] for reason in cleaning.REASONS if cleaned.dropped[reason]},
        "problems": cleaned.problems,
        "problems_listed": f"the first {cleaning.PROBLEMS_LISTED} dropped fixes are listed; all are counted",
        "tracks": [{"id": t["id"], "seq": t["seq"], "fixes": t["fixes"], "started_at": t["started_at"].isoformat(),
                    "ended_at": t["ended_at"].isoformat(), "length_m": round(t["length_m"], 1),
                    "grids": list(t["grids"])} for t in tracks],
    }


def _replay(access: Access, batch: Batch, digest: str) -> Outcome:
    """The report of the upload that stored this batch, when this is the same batch from the same user."""
    row = PatrolBatch.objects.filter(batch_id=batch.batch_id).values("digest", "user_id", "report").first()
    if row is None:  # deleted in between: nothing sensible to answer
        raise Conflict(f"batch_id {batch.batch_id} is being used by another upload; retry", field="batch_id")
    if row["digest"] != digest or row["user_id"] != access.user_id:
        raise Conflict(f"batch_id {batch.batch_id} was already used for a different batch; a retry must resend "
                       "the same fixes, a new batch needs a new batch_id", field="batch_id")
    return Outcome(_sorted(row["report"]), created=False)


def _sorted(value: Any) -> Any:
    """The report with its keys in name order at every level: jsonb keeps them in its own order, so the
    first answer and a replay's (read back from jsonb) are put in the same order, byte for byte."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
