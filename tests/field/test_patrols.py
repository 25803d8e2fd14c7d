"""POST /api/patrols and GET /api/patrols: idempotent batches, cleaning reported, scope, personal data.

The tiny tree (tests/conftest.py): grids west (112.4-112.5) and east (112.5-112.6), 35.0-35.1.
gw_west's scope is the west grid; op (county) and admin have the personal-data right, leader does not.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from field.models import PatrolBatch, Track, TrackPiece
from geo import crs
from geo.models import AuditRecord
from tests.support.concurrent import at_once
from tests.support.incidents import make_world

STEP_LON = 0.00008  # ~7.3 m east at 35°N: a walk of 1.5 m/s with a fix every 5 s


@pytest.fixture
def world(tree):
    return make_world(tree)


def walk(n: int = 20, start=(112.45, 35.05), t0: dt.datetime | None = None, step: float = STEP_LON,
         every: float = 5.0, accuracy: float = 8.0) -> list[list]:
    t0 = t0 or timezone.now() - dt.timedelta(hours=2)
    return [[(t0 + dt.timedelta(seconds=every * i)).isoformat(), start[0] + step * i, start[1], accuracy]
            for i in range(n)]


def upload(world, who: str, fixes, batch_id: str = "b-1", **extra):
    return world.post(who, "/api/patrols", {"batch_id": batch_id, "fixes": fixes, **extra})


def test_a_batch_becomes_a_track_placed_in_its_grid_and_audited(world):
    response = upload(world, "gw_west", walk(20))
    assert response.status_code == 201, response.content
    report = response.json()
    assert (report["received"], report["kept"], report["dropped"]) == (20, 20, {})
    [track] = report["tracks"]
    assert track["fixes"] == 20 and track["grids"] == ["419001103200001"]
    assert 19 * 7.0 < track["length_m"] < 19 * 7.6
    stored = Track.objects.get()
    assert stored.worker.employee_no == "W-WEST" and len(stored.times) == stored.path.num_points == 20
    assert stored.times == sorted(stored.times)
    assert AuditRecord.objects.filter(action="patrol_upload", username="gw_west", target="b-1").count() == 1


def test_the_same_batch_twice_stores_one_track(world):
    fixes = walk(20)
    first = upload(world, "gw_west", fixes)
    again = upload(world, "gw_west", fixes)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (PatrolBatch.objects.count(), Track.objects.count()) == (1, 1)


def test_a_batch_id_reused_for_other_fixes_or_by_another_user_is_a_conflict(world):
    fixes = walk(10)
    assert upload(world, "gw_west", fixes).status_code == 201
    other = upload(world, "gw_west", fixes[:5])
    assert other.status_code == 409 and other.json()["error"]["field"] == "batch_id"
    assert upload(world, "op", fixes).status_code == 409
    assert Track.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_uploads_of_one_batch_store_one_track(tree):
    """Six threads, each with its own connection, post the same batch at the same moment: the unique
    batch id in the database, not a check in Python, keeps it to one."""
    world = make_world(tree)
    body = json.dumps({"batch_id": "burst", "fixes": walk(50)})

    def post() -> tuple[int, bytes]:
        response = Client().post("/api/patrols", body, content_type="application/json", **world.headers("gw_west"))
        return response.status_code, response.content

    results = at_once(6, post)
    assert [status for status, _ in results] == [201] * 6
    assert len({content for _, content in results}) == 1
    assert (PatrolBatch.objects.count(), Track.objects.count()) == (1, 1)


def test_bad_fixes_are_dropped_and_reported_by_reason_and_index(world):
    fixes = walk(30)
    t = fixes[10][0]
    bad = [
        [fixes[3][0], None, 35.05, 5],                 # 30: not a number
        [fixes[4][0], "NaN", 35.05, 5],                # 31: NaN as text
        [fixes[5][0], 0.0, 0.0, 5],                    # 32: (0, 0), the wrong side of the world
        [fixes[6][0], 35.05, 112.45, 5],               # 33: lat, lon swapped
        [fixes[7][0], -112.45, 35.05, 5],              # 34: a lost sign: western hemisphere
        [fixes[8][0], 112.45, 35.05, 400],             # 35: accuracy 400 m
        list(fixes[12]),                               # 36: an exact duplicate of fix 12
        [t, 112.46, 35.05, 5],                         # 37: same time as fix 10, 700 m away
        ["yesterday", 112.45, 35.05, 5],               # 38: not a time
        [(timezone.now() + dt.timedelta(hours=1)).isoformat(), 112.45, 35.05, 5],  # 39: the future
    ]
    # fix 20 jumps 3 km north for one reading (a multipath jump): 600 m/s from fix 19
    fixes[20] = [fixes[20][0], fixes[20][1], 35.077, 5]
    shuffled = fixes[15:] + fixes[:15]  # the phone sent its afternoon before its morning
    body = shuffled + bad
    report = upload(world, "gw_west", body).json()
    index = {i: row for i, row in enumerate(body)}
    assert report["received"] == 40
    assert report["dropped"] == {"not_a_number": 2, "bad_time": 1, "outside_china": 3, "future": 1,
                                 "inaccurate": 1, "duplicate": 2, "too_fast": 1}
    assert report["kept"] == 29 and report["reordered"] == 3  # the morning after the afternoon, and 36, 37
    reasons = {p["index"]: p["reason"] for p in report["problems"]}
    assert reasons[body.index(fixes[20])] == "too_fast"
    assert reasons[33] == "outside_china" and "lat, lon" in next(
        p["detail"] for p in report["problems"] if p["index"] == 33)
    assert reasons[32] == reasons[34] == "outside_china"
    assert index[30][1] is None
    [track] = report["tracks"]
    stored = Track.objects.get(pk=track["id"])
    assert stored.times == sorted(stored.times) and len(set(stored.times)) == 29
    assert max(stored.path.coords, key=lambda c: c[1])[1] < 35.06  # the jump is not in the line


def test_gaps_in_time_or_space_split_a_batch_into_tracks(world):
    t0 = timezone.now() - dt.timedelta(hours=5)
    morning = walk(10, t0=t0)
    after_lunch = walk(10, t0=t0 + dt.timedelta(hours=1))  # an hour's pause: a new track
    far = walk(10, start=(112.47, 35.06), t0=t0 + dt.timedelta(hours=1, minutes=10))  # 2 km away at walking pace
    lone = walk(1, start=(112.42, 35.02), t0=t0 + dt.timedelta(hours=3))  # a single fix after a gap
    report = upload(world, "gw_west", morning + after_lunch + far + lone).json()
    assert [t["fixes"] for t in report["tracks"]] == [10, 10, 10]
    assert report["dropped"] == {"lone_fix": 1}
    assert Track.objects.count() == 3


def test_a_track_crossing_two_grids_is_placed_in_both_with_its_length_split(world):
    fixes = walk(40, start=(112.4985, 35.05), step=0.00008)  # crosses x = 112.5 after ~19 steps
    response = upload(world, "op", fixes)
    [track] = response.json()["tracks"]
    assert track["grids"] == ["419001103200001", "419001103200002"]
    pieces = {p.grid_id: p.length_m for p in TrackPiece.objects.all()}
    assert sum(pieces.values()) == pytest.approx(track["length_m"], abs=0.5)
    assert 0 < pieces["419001103200001"] < pieces["419001103200002"]


def test_a_worker_uploads_only_inside_their_scope(world):
    east = walk(20, start=(112.55, 35.05))
    refused = upload(world, "gw_west", east)
    assert refused.status_code == 403
    assert (PatrolBatch.objects.count(), Track.objects.count()) == (0, 0)
    # A walk that strays over the edge keeps its part in the worker's grid and reports the rest.
    crossing = walk(40, start=(112.4985, 35.05))
    report = upload(world, "gw_west", crossing, batch_id="b-2").json()
    assert report["dropped"]["outside_scope"] == 40 - report["kept"] - report["dropped"].get("lone_fix", 0)
    assert [t["grids"] for t in report["tracks"]] == [["419001103200001"]]
    assert TrackPiece.objects.filter(grid_id="419001103200002").count() == 0


def test_gcj02_positions_are_moved_to_wgs84(world):
    fixes = walk(10)
    glon, glat = crs.wgs84_to_gcj02([f[1] for f in fixes], [f[2] for f in fixes])
    shifted = [[f[0], float(x), float(y), f[3]] for f, x, y in zip(fixes, glon, glat, strict=True)]
    report = upload(world, "gw_west", shifted, gcj02=True).json()
    assert report["gcj02"] is True and report["kept"] == 10
    first = Track.objects.get().path.coords[0]
    assert np.allclose(first, fixes[0][1:3], atol=1e-7)  # well under a centimetre
    assert abs(float(glon[0]) - fixes[0][1]) > 1e-3  # the offset removed was hundreds of metres


def test_geojson_form_is_accepted(world):
    fixes = walk(5)
    collection = {"type": "FeatureCollection", "batch_id": "g-1", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [f[1], f[2]]},
         "properties": {"time": f[0], "accuracy": f[3]}} for f in fixes]}
    response = world.post("gw_west", "/api/patrols", collection)
    assert response.status_code == 201 and response.json()["tracks"][0]["fixes"] == 5


@pytest.mark.parametrize(("body", "field"), [
    ({"fixes": [[1, 112.45, 35.05]]}, "batch_id"),
    ({"batch_id": "x"}, "fixes"),
    ({"batch_id": "x", "fixes": []}, "fixes"),
    ({"batch_id": "x", "fixes": [[1, 2]]}, "fixes"),
    ({"batch_id": "x", "fixes": "nope"}, "fixes"),
    ({"batch_id": "x", "gcj02": "yes", "fixes": [[1, 112.45, 35.05]]}, "gcj02"),
    ({"batch_id": "x" * 65, "fixes": [[1, 112.45, 35.05]]}, "batch_id"),
    ({"type": "FeatureCollection", "batch_id": "x", "features": [{"type": "Feature"}]}, "features"),
])
def test_malformed_batches_are_refused_naming_the_field(world, body, field):
    response = world.post("gw_west", "/api/patrols", body)
    assert response.status_code == 400 and response.json()["error"]["field"] == field
    assert PatrolBatch.objects.count() == 0


def test_json_nan_literal_is_refused_by_the_screen_with_nothing_written(world):
    body = '{"batch_id": "n", "fixes": [["2026-12-07T08:00:00+08:00", NaN, 35.05, 5]]}'
    response = world.post("gw_west", "/api/patrols", body)
    assert response.status_code == 400 and PatrolBatch.objects.count() == 0


def test_oversized_payloads_are_refused_413_with_a_message(world):
    too_many = world.post("gw_west", "/api/patrols", {"batch_id": "big", "fixes": walk(5001, every=1)})
    assert too_many.status_code == 413 and "5000" in too_many.json()["error"]["message"]
    huge = json.dumps({"batch_id": "huge", "fixes": [], "pad": "x" * (1024 * 1024)})
    too_large = world.post("gw_west", "/api/patrols", huge)
    assert too_large.status_code == 413 and too_large.json()["error"]["field"] == "body"
    assert PatrolBatch.objects.count() == 0


def test_uploading_needs_the_report_right_and_a_caller(world):
    assert upload(world, "analyst", walk(5)).status_code == 403
    assert upload(world, None, walk(5)).status_code == 401


def test_tracks_are_read_only_with_the_personal_data_right_inside_scope(world, tree):
    upload(world, "op", walk(20, start=(112.4985, 35.05)), batch_id="cross")
    assert world.get("leader", "/api/patrols").status_code == 403  # no personal-data right
    county = world.get("op", "/api/patrols").json()
    assert sorted(f["properties"]["grid_code"] for f in county["features"]) == [
        "419001103200001", "419001103200002"]
    assert AuditRecord.objects.filter(action="personal_read", username="op").count() == 1
    # A personal-data user scoped to the west grid sees only the west piece, never the east part.
    from geo.access import create_user
    _, key = create_user("chief_west", "leader", tree["west"].code, personal_data=True)
    west = world.client.get("/api/patrols", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    [piece] = west["features"]
    assert piece["properties"]["grid_code"] == "419001103200001"
    assert all(x <= 112.5 + 1e-9 for line in piece["geometry"]["coordinates"] for x, _ in line)
    asked_outside = world.client.get("/api/patrols", {"area": tree["east"].code},
                                     HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert asked_outside["features"] == []
    long_ago = world.get("op", "/api/patrols", {"since": "2020-01-01", "until": "2020-01-31"}).json()
    assert long_ago["features"] == []
