"""Cameras (issue 19): GB/T 28181 channel ids and stream URLs checked, the cameras nearest a matter in the
caller's area with exact distances, /api/cameras, the import of a register, video patrols and their figure.

The world (tests/support/incidents.py): a village of two grids, west (112.40-112.50) and east (112.50-112.60),
35.00-35.10; gw_west's scope is the west grid, the leader's the township, op's the county.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from field.channels import check_camera, check_channel_id, check_stream_url, make_channel_id
from field.models import Camera, VideoPatrol, VideoPatrolCamera
from geo.errors import InvalidCode, InvalidInput
from geo.models import AuditRecord
from layers.models import Department, Incident, Place
from tests.support.incidents import make_world

GOOD = "41900100001320000101"  # 济源 centre, industry 00, network camera, network 0, serial 101


@pytest.mark.parametrize("channel", [GOOD, "34020000001320000001", "11010500011310000042", "41900100011328000001"])
def test_good_channel_ids_pass(channel):
    assert check_channel_id(channel) == channel


@pytest.mark.parametrize(("channel", "says"), [
    ("4190010000132000010", "20 digits"),                 # 19 digits
    ("419001000013200001011", "20 digits"),               # 21
    ("41900100001320000a01", "not only digits"),
    ("４１９００１００００１３２００００１０１", "not only digits"),  # full-width digits
    ("99900100001320000101", "province code"),            # no province 99
    ("41001234001320000101", "under no city"),            # 41 00 12 34: a county under no city
    ("41900100001180000101", "118 NVR"),                  # an NVR's id copied from the device tree
    ("41900100002000000101", "platform server"),          # a signalling server
    ("41900100001340000101", "not a camera"),             # an alarm input
    ("41900100004000000101", "end user"),
])
def test_malformed_channel_ids_are_refused_by_name(channel, says):
    with pytest.raises(InvalidCode) as caught:
        check_channel_id(channel)
    assert says in caught.value.message and caught.value.field == "channel_id"


@pytest.mark.parametrize("url", ["rtsp://10.1.2.3:554/Streaming/Channels/101", "rtsps://cam.example.cn/live",
                                 "https://video.jiyuan.gov.cn/hls/41900100001320000101.m3u8", "http://10.0.0.9/x"])
def test_good_stream_urls_pass(url):
    assert check_stream_url(url) == url


@pytest.mark.parametrize(("url", "says"), [
    ("rtmp://10.1.2.3/live", "scheme"), ("file:///etc/passwd", "scheme"), ("javascript:alert(1)", "scheme"),
    ("rtsp://admin:12345@10.1.2.3/live", "password"), ("rtsp://admin@10.1.2.3/live", "password"),
    ("rtsp:///live", "no host"), ("rtsp://10.1.2.3/摄像头", "non-ASCII"), ("rtsp://10.1.2.3/a b", "spaces"),
    ("rtsp://10.1.2.3:99999/x", "not a URL"), ("http://" + "a" * 500, "at most 500"),
])
def test_bad_stream_urls_are_refused(url, says):
    with pytest.raises(InvalidInput) as caught:
        check_stream_url(url)
    assert says in caught.value.message


def test_a_camera_needs_a_channel_or_a_url(tree):
    with pytest.raises(InvalidInput):
        check_camera(None, "")
    with pytest.raises(InvalidInput):
        Camera.objects.create(code="C1", name="x", location=Point(112.45, 35.05, srid=4326))
    camera = Camera.objects.create(code="C1", name="x", channel_id=GOOD, location=Point(112.45, 35.05, srid=4326))
    assert camera.kind == "camera" and camera.grid_id == tree["west"].code
    assert Place.objects.filter(kind="camera", code="C1").exists()  # a camera is a place: tiles and exports see it


def test_the_demo_ids_are_valid_and_under_the_county():
    made = make_channel_id("419001", 4321, industry="01", kind="131", network="8")
    assert made == "41900100011318004321" and check_channel_id(made) == made


# --- nearest cameras ----------------------------------------------------------------------------------------------

@pytest.fixture
def cams(tree):
    world = make_world(tree)
    rng = random.Random(19)
    for i in range(120):  # both grids, so scopes matter; some at equal distances
        Camera.objects.create(code=f"CAM{i:04d}", name=f"监控{i}", channel_id=make_channel_id("419001", i),
                              location=Point(112.40 + rng.random() * 0.2, 35.0 + rng.random() * 0.1, srid=4326))
    Place.objects.create(kind="camera", name="bare point", code="BARE", location=Point(112.4951, 35.0501, srid=4326))
    Place.objects.create(kind="school", name="school", code="SCH", location=Point(112.4952, 35.0502, srid=4326))
    return world


def direct(incident_id: int, prefix: str, limit: int, radius: float) -> list[tuple[str, float]]:
    """The answer computed directly: every registered camera in the prefix, exact distance, no index."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT p.code, ST_Distance(p.location::geography, i.location::geography)
            FROM layers_place p JOIN field_camera c ON c.place_ptr_id = p.id, layers_incident i
            WHERE i.id = %s AND p.grid_code LIKE %s
              AND ST_Distance(p.location::geography, i.location::geography) <= %s
            ORDER BY 2, 1 LIMIT %s""", [incident_id, prefix + "%", radius, limit])
        return [(code, round(metres, 1)) for code, metres in cursor.fetchall()]


@pytest.mark.parametrize(("point", "limit", "radius"), [((112.495, 35.05), 10, 1000), ((112.45, 35.05), 50, 10000),
                                                      ((112.501, 35.001), 5, 3000), ((112.6, 35.1), 20, 10000)])
def test_the_nearest_cameras_are_the_ones_a_direct_computation_finds(cams, point, limit, radius):
    incident = cams.report("op", point=point).json()["id"]
    for who, prefix in (("op", "419001"), ("gw_west", cams.tree["west"].code), ("gw_east", cams.tree["east"].code)):
        if who != "op" and not (point[0] < 112.5) == (who == "gw_west"):
            continue  # the worker cannot see the matter (tested below)
        response = cams.get(who, f"/api/incidents/{incident}/cameras", {"limit": limit, "radius": radius})
        assert response.status_code == 200, response.content
        got = [(c["code"], c["distance_m"]) for c in response.json()["cameras"]]
        assert got == direct(incident, prefix, limit, radius)
        assert got, "the case must list some cameras"


def test_defaults_and_the_bare_points_and_other_places_are_not_cameras(cams):
    incident = cams.report("op", point=(112.495, 35.05)).json()["id"]
    body = cams.get("op", f"/api/incidents/{incident}/cameras").json()
    assert body["limit"] == 10 and body["radius"] == 1000
    assert [c["code"] for c in body["cameras"]] == [c for c, _ in direct(incident, "419001", 10, 1000)]
    assert {"BARE", "SCH"}.isdisjoint(c["code"] for c in body["cameras"])
    assert all(c["channel_id"] and c["distance_m"] <= 1000 for c in body["cameras"])


def test_cameras_outside_the_scope_are_never_listed(cams, tree):
    # A matter in the west grid right at the border: the nearest cameras overall include east ones.
    incident = cams.report("op", point=(112.4999, 35.05)).json()["id"]
    everyone = cams.get("op", f"/api/incidents/{incident}/cameras", {"limit": 50, "radius": 10000}).json()["cameras"]
    assert any(c["grid_code"] == tree["east"].code for c in everyone)
    west = cams.get("gw_west", f"/api/incidents/{incident}/cameras", {"limit": 50, "radius": 10000}).json()["cameras"]
    assert west and all(c["grid_code"] == tree["west"].code for c in west)
    # A matter the caller cannot see: 404, nothing said about its cameras.
    east_incident = cams.report("op", point=(112.55, 35.05)).json()["id"]
    assert cams.get("gw_west", f"/api/incidents/{east_incident}/cameras").status_code == 404
    listed = cams.get("gw_west", "/api/cameras").json()["features"]
    assert listed and all(f["properties"]["grid_code"] == tree["west"].code for f in listed)


@pytest.mark.parametrize(("params", "field"), [({"limit": "0"}, "limit"), ({"limit": "51"}, "limit"),
                                               ({"limit": "x"}, "limit"), ({"radius": "-1"}, "radius"),
                                               ({"radius": "nan"}, "radius"), ({"radius": "20000"}, "radius"),
                                               ({"limit": "2.5"}, "limit")])
def test_bad_limit_or_radius_is_a_400_naming_it(cams, params, field):
    incident = cams.report("op").json()["id"]
    response = cams.get("op", f"/api/incidents/{incident}/cameras", params)
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_the_camera_list_filters_by_box_area_and_department(cams, tree):
    dept = Department.objects.create(code="419001-GAJ", name="济源市公安局", kind="police", unit_id="419001")
    Camera.objects.filter(code="CAM0001").update(department=dept)
    inside = cams.get("analyst", "/api/cameras", {"bbox": "112.40,35.00,112.45,35.05"}).json()["features"]
    assert inside and all(112.40 <= f["geometry"]["coordinates"][0] <= 112.45 for f in inside)
    assert len(inside) == Camera.objects.filter(location__within=_box(112.40, 35.0, 112.45, 35.05)).count()
    mine = cams.get("analyst", "/api/cameras", {"department": "419001-GAJ"}).json()["features"]
    assert [f["properties"]["code"] for f in mine] == ["CAM0001"]
    east = cams.get("analyst", "/api/cameras", {"area": tree["east"].code}).json()["features"]
    assert east and all(f["properties"]["grid_code"] == tree["east"].code for f in east)
    assert cams.get("analyst", "/api/cameras", {"bbox": "112.5,35,112.4,35.1"}).status_code == 400


def _box(x0, y0, x1, y1):
    from django.contrib.gis.geos import Polygon

    return Polygon.from_bbox((x0, y0, x1, y1))


# --- import -------------------------------------------------------------------------------------------------------

def test_an_import_with_bad_rows_names_each_line_and_writes_nothing(tree, tmp_path):
    make_world(tree)
    Place.objects.create(kind="school", name="小学", code="SCH-9", location=Point(112.41, 35.01, srid=4326))
    path = tmp_path / "cameras.csv"
    path.write_text(
        "点位编码,点位名称,国标编码,视频流地址,经度,纬度,所属单位\n"
        f"A1,路口1,{GOOD},,112.45,35.05,\n"                              # 2 good
        "A2,路口2,41900100001180000102,,112.46,35.05,\n"                  # 3 an NVR id
        "A3,路口3,,rtsp://admin:1@10.0.0.1/x,112.47,35.05,\n"             # 4 credentials
        "A4,路口4,,,112.47,35.05,\n"                                       # 5 neither
        f"A5,路口5,{make_channel_id('419001', 5)},,35.05,112.47,\n"       # 6 swapped
        f"A6,路口6,{make_channel_id('419001', 6)},,113.9,35.05,\n"        # 7 outside every grid
        f"A1,路口7,{make_channel_id('419001', 7)},,112.45,35.05,\n"       # 8 repeats A1
        f"SCH-9,路口8,{make_channel_id('419001', 8)},,112.45,35.05,\n"    # 9 a school's code
        f"A9,路口9,{make_channel_id('419001', 9)},,112.45,35.05,公安局\n",  # 10 no such department
        encoding="utf-8")
    with pytest.raises(CommandError, match="8 bad rows; nothing written"):
        call_command("import_cameras", str(path), stdout=(out := _Out()))
    text = out.text
    for line, field in ((3, "channel_id"), (4, "stream_url"), (5, "channel_id"), (6, "location"), (7, "location"),
                        (8, "code"), (9, "code"), (10, "department")):
        assert f"line {line}: {field}:" in text, text
    assert "line 2:" not in text
    assert not Camera.objects.exists() and not Place.objects.filter(kind="camera").exists()


def test_an_import_writes_every_row_updates_known_codes_and_a_dry_run_keeps_nothing(tree, tmp_path):
    make_world(tree)
    Department.objects.create(code="419001-GAJ", name="济源市公安局", kind="police", unit_id="419001")
    Place.objects.create(kind="camera", name="old bare point", code="A2", location=Point(112.41, 35.01, srid=4326))
    path = tmp_path / "cameras.csv"
    path.write_text("code,name,channel_id,stream_url,lon,lat,department\n"
                    f",北门,{GOOD},,112.45,35.05,419001-GAJ\n"
                    "A2,南门,,rtsp://10.0.0.2/live,112.55,35.05,济源市公安局\n", encoding="utf-8")
    call_command("import_cameras", str(path), "--dry-run", stdout=_Out())
    assert not Camera.objects.exists()
    call_command("import_cameras", str(path), stdout=(out := _Out()))
    assert "1 already registered (updated), 1 new" in out.text
    first = Camera.objects.get(code=GOOD)
    assert first.channel_id == GOOD and first.department.code == "419001-GAJ" and first.grid_id == tree["west"].code
    second = Camera.objects.get(code="A2")
    assert second.stream_url == "rtsp://10.0.0.2/live" and second.grid_id == tree["east"].code  # moved, re-placed
    assert AuditRecord.objects.filter(action="camera_change", rows=2).count() == 1
    # Again with a scope the east camera is outside of: refused, nothing changes.
    with pytest.raises(CommandError):
        call_command("import_cameras", str(path), "--scope", tree["west"].code, stdout=(out := _Out()))
    assert "line 3: location:" in out.text and "outside your area" in out.text


class _Out:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        pass

    @property
    def text(self) -> str:
        return "".join(self.parts)


# --- video patrols ------------------------------------------------------------------------------------------------

def patrol(world, who, cameras, minutes_ago=60, **extra):
    end = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return world.post(who, "/api/videopatrols", {"cameras": cameras, "started_at": (end - dt.timedelta(minutes=30))
                                                 .isoformat(), "ended_at": end.isoformat(), **extra})


def test_a_video_patrol_is_stored_audited_and_counted(cams, tree):
    west = list(Camera.objects.filter(grid_id=tree["west"].code).order_by("code").values_list("code", flat=True))
    east = list(Camera.objects.filter(grid_id=tree["east"].code).order_by("code").values_list("code", flat=True))
    channel = Camera.objects.get(code=west[2]).channel_id
    response = patrol(cams, "gw_west", [west[0], west[1], channel], note="夜间巡查，无异常",
                      incident={"category": "dispute", "description": "路口聚集", "camera": west[1]},
                      client_id="vp-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(c["code"] for c in body["cameras"]) == sorted(west[:3]) and body["minutes"] == 30.0
    stored = VideoPatrol.objects.get()
    assert stored.worker.employee_no == "W-WEST" and stored.views.count() == 3
    incident = Incident.objects.get(pk=body["incident"])
    assert incident.location.equals_exact(Camera.objects.get(code=west[1]).location, 1e-9)
    assert AuditRecord.objects.filter(action="video_patrol", username="gw_west", rows=3).count() == 1
    again = patrol(cams, "gw_west", [west[0]], client_id="vp-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and VideoPatrol.objects.count() == 1
    # A camera outside the worker's area does not exist for them: 404, nothing stored.
    assert patrol(cams, "gw_west", [west[0], east[0]]).status_code == 404
    assert VideoPatrol.objects.count() == 1
    # The op's patrol over both grids.
    assert patrol(cams, "op", [west[0], east[0], east[1]], minutes_ago=120).status_code == 201

    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    stats = cams.get("leader", f"/api/stats/{tree['village'].code}", {"since": since, "children": "1"}).json()
    section = stats["video_patrols"]
    assert section["unit"]["video_patrols"] == 2 and section["unit"]["camera_views"] == 6
    assert section["unit"]["cameras_viewed"] == 5 and section["unit"]["cameras"] == 120
    assert section["unit"]["hours"] == 1.0
    assert section["children"][tree["west"].code]["video_patrols"] == 2
    assert section["children"][tree["east"].code] == {"video_patrols": 1, "cameras_viewed": 2, "camera_views": 2,
                                                      "hours": 0.5, "cameras": Camera.objects.filter(
                                                          grid_id=tree["east"].code).count()}
    # The same figure counted directly from the rows.
    assert section["unit"]["cameras_viewed"] == VideoPatrolCamera.objects.values("camera").distinct().count()
    # The west worker lists only the cameras inside the west grid, and no notes without the personal-data right.
    listed = cams.get("gw_west", "/api/videopatrols").json()["video_patrols"]
    assert len(listed) == 2 and all(c["grid_code"] == tree["west"].code for p in listed for c in p["cameras"])
    assert all("note" not in p for p in listed)
    noted = cams.get("op", "/api/videopatrols").json()["video_patrols"]
    assert any(p.get("note") == "夜间巡查，无异常" for p in noted)
    assert AuditRecord.objects.filter(action="personal_read", username="op").exists()
    # The workers' figure: what the patrol count adds.
    from field.videopatrols import worker_figures
    start = timezone.now() - dt.timedelta(days=1)
    counted = worker_figures(tree["village"].code, start, timezone.now())
    assert counted[cams.workers["W-WEST"].pk] == {"video_patrols": 1, "cameras_viewed": 3, "hours": 0.5}


@pytest.mark.parametrize(("body", "field"), [
    ({"cameras": []}, "cameras"), ({"cameras": "CAM0001"}, "cameras"),
    ({"cameras": ["CAM0001"], "started_at": "2026-12-07T10:00:00+08:00", "ended_at": "2026-12-07T09:00:00+08:00"},
     "ended_at"),
    ({"cameras": ["CAM0001"], "started_at": "2026-12-01T10:00:00+08:00", "ended_at": "2026-12-03T10:00:00+08:00"},
     "ended_at"),
    ({"cameras": ["CAM0001"], "started_at": "yesterday", "ended_at": "2026-12-03T10:00:00+08:00"}, "started_at"),
    ({"cameras": ["CAM0001"], "started_at": "2026-12-01T10:00:00+08:00", "ended_at": "2026-12-01T11:00:00+08:00",
      "colour": "red"}, "colour"),
])
def test_a_bad_video_patrol_is_a_400_and_nothing_is_stored(cams, body, field):
    body = {"started_at": "2026-12-01T10:00:00+08:00", "ended_at": "2026-12-01T11:00:00+08:00", **body}
    response = cams.post("op", "/api/videopatrols", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field
    assert not VideoPatrol.objects.exists()


def test_the_workload_page_shows_the_video_patrols_of_each_child_unit(cams, tree, client):
    from django.contrib.auth import get_user_model

    west = list(Camera.objects.filter(grid_id=tree["west"].code).order_by("code").values_list("code", flat=True))
    assert patrol(cams, "gw_west", west[:4]).status_code == 201
    client.force_login(get_user_model().objects.get(username="leader"))
    html = client.get(f"/dashboards/workload/?area={tree['village'].code}&lang=en").content.decode()
    assert "Video patrols, last 7 days" in html
    n_west = len(west)
    n_east = Camera.objects.filter(grid_id=tree["east"].code).count()
    assert f"<tr><td>西网格</td><td>1</td><td>4 / {n_west}</td><td>{4 / n_west:.0%}</td><td>0.5</td></tr>" in html
    assert f"<tr><td>东网格</td><td>0</td><td>0 / {n_east}</td><td>0%</td><td>0.0</td></tr>" in html


def test_the_administrator_adds_a_camera_and_a_bad_channel_is_refused_on_the_form(tree, client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.cn", "pw-x-1234567")
    client.force_login(admin)
    assert client.get("/admin/field/camera/").status_code == 200
    assert client.get("/admin/field/camera/add/").status_code == 200
    assert client.get("/admin/field/videopatrol/").status_code == 200
    form = {"code": "C9", "name": "北门", "channel_id": "41900100001180000101", "stream_url": "",
            # The map widget sends web-mercator (EPSG:3857) metres.
            "location": Point(112.45, 35.05, srid=4326).transform(3857, clone=True).json, "attributes": "{}"}
    response = client.post("/admin/field/camera/add/", form)
    assert response.status_code == 200 and "118" in response.content.decode(), response.content.decode()[:600]
    assert not Camera.objects.exists()
    response = client.post("/admin/field/camera/add/", {**form, "channel_id": GOOD})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Camera.objects.get().grid_id == tree["west"].code


def test_a_workers_video_patrols_count_for_that_worker_in_the_ranking(cams, tree):
    """A video patrol counts as a patrol for the worker who made it (1 point each, at most 2 a week), not for the
    workers of the grids whose cameras it looked at."""
    from layers.figures import ranking

    west = list(Camera.objects.filter(grid_id=tree["west"].code).order_by("code").values_list("code", flat=True))
    east = list(Camera.objects.filter(grid_id=tree["east"].code).order_by("code").values_list("code", flat=True))
    for k in range(3):
        assert patrol(cams, "gw_west", [west[k]], minutes_ago=5 + k, client_id=f"vp-w{k}").status_code == 201
    assert patrol(cams, "op", [east[0], east[1]], minutes_ago=5, client_id="vp-op").status_code == 201
    started = VideoPatrol.objects.order_by("started_at").first().started_at
    year, week, _ = timezone.localtime(started).isocalendar()
    rows = {r["employee_no"]: r for r in cams.get("op", "/api/stats/workers", {
        "area": tree["county"].code, "week": f"{year}-W{week:02d}"}).json()["workers"]}
    west_row, east_row = rows["W-WEST"], rows["C-EAST"]
    assert (west_row["video_patrols"], west_row["video_points"]) == (3, 2)
    assert (east_row["video_patrols"], east_row["video_points"]) == (0, 0)
    for row in (west_row, east_row):
        assert row["score"] == (row["closed_on_time"] - row["overdue"] + row["coverage_points"]
                                + row["video_points"])
    assert ranking.COVERAGE["video_points"](1) == 1 and ranking.COVERAGE["video_points"](0) == 0
