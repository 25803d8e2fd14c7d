"""Time limits on China's calendar, petitions' limits, and the live flags (acceptance overdue, due within
24 h) through the API, the list filter, a tile, an export and OGC.

The calendar is the real chinesecalendar data: 2026's Spring Festival is 15-23 February with Saturdays
14 and 28 February worked (调休); 2025's National Day holiday is 1-8 October with Saturday 11 October
worked.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from geo.models import AuditRecord
from layers.admin import uncovered_warning
from layers.incidents import checks, workdays
from layers.incidents.timelimits import add_days, deadline
from layers.models import CalendarOverride, Incident, IncidentEvent, TimeLimit
from tests.support.incidents import WEST_POINT, make_world
from tests.support.tiles import admin_key, county, features, instant_versions, make  # noqa: F401

D = dt.timedelta(days=1)
H = dt.timedelta(hours=1)


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def world(tree):
    return make_world(tree)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test reads the override table afresh (the process cache would carry rows across tests)."""
    workdays.forget()
    yield
    workdays.forget()


# ---- working days ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "days", "due"), [
    # Friday before 春节 2026: the 调休 Saturday 14 Feb counts, 15-23 Feb are holidays.
    (local(2026, 2, 13, 10, 0), 1, local(2026, 2, 14, 10, 0)),
    (local(2026, 2, 13, 10, 0), 3, local(2026, 2, 25, 10, 0)),
    # Reported on the first day of the holiday: the clock starts at 00:00 of the first working day after it.
    (local(2026, 2, 15, 9, 0), 1, local(2026, 2, 25, 0, 0)),
    # The 调休 Saturday after the festival (28 Feb) is a working day too.
    (local(2026, 2, 27, 16, 0), 1, local(2026, 2, 28, 16, 0)),
    # National Day 2025: holidays 1-8 Oct, Saturday 11 Oct worked.
    (local(2025, 9, 30, 9, 0), 1, local(2025, 10, 9, 9, 0)),
    (local(2025, 10, 10, 9, 0), 1, local(2025, 10, 11, 9, 0)),
    # An ordinary weekend is still skipped.
    (local(2025, 3, 7, 15, 0), 1, local(2025, 3, 10, 15, 0)),
])
def test_working_days_follow_the_official_calendar(db, start, days, due):
    assert add_days(start, days, "working") == due


def test_an_override_row_changes_a_deadline_and_is_audited(admin_client, db):
    friday = local(2025, 3, 7, 15, 0)
    assert add_days(friday, 1, "working") == local(2025, 3, 10, 15, 0)
    response = admin_client.post("/admin/layers/calendaroverride/add/",
                                 {"date": "2025-03-10", "kind": "holiday", "note": "local day off"})
    assert response.status_code == 302
    # Saved in this process: used at once (other processes within workdays.REFRESH_SECONDS).
    assert add_days(friday, 1, "working") == local(2025, 3, 11, 15, 0)
    # A working override makes a Sunday count.
    CalendarOverride.objects.create(date=dt.date(2025, 3, 9), kind="working", note="调休")
    assert add_days(friday, 1, "working") == local(2025, 3, 9, 15, 0)
    record = AuditRecord.objects.get(action="calendar_change")
    assert (record.target, record.detail["kind"], record.detail["change"]) == ("2025-03-10", "holiday", "add")
    row = CalendarOverride.objects.get(date=dt.date(2025, 3, 10))
    assert admin_client.post(f"/admin/layers/calendaroverride/{row.pk}/delete/", {"post": "yes"}).status_code == 302
    assert AuditRecord.objects.filter(action="calendar_change", detail__change="delete").count() == 1
    assert add_days(friday, 1, "working") == local(2025, 3, 9, 15, 0)


def first_uncovered_year() -> int:
    return max(workdays.LIBRARY_YEARS) + 1


def test_an_uncovered_year_is_never_guessed(db):
    year = first_uncovered_year()
    start = local(year - 1, 12, 30, 9, 0)
    with pytest.raises(workdays.Uncovered, match=f"{year} is not in the holiday calendar"):
        add_days(start, 5, "working")
    counted = deadline(start, 5, "working")
    assert counted.at == local(year, 1, 4, 9, 0)  # 5 calendar days
    assert f"{year} is not in the holiday calendar" in counted.note and "calendar days" in counted.note
    # One row of the year in the table makes the year covered: ordinary weekdays plus its rows.
    CalendarOverride.objects.create(date=dt.date(year, 1, 1), kind="holiday", note="元旦")
    counted = deadline(start, 5, "working")
    assert counted.note == ""
    assert counted.at == add_days(start, 5, "working")


def test_intake_says_when_a_limit_was_counted_in_calendar_days(world):
    """A working-day limit long enough to reach a year nobody covers: the answer, the incident, its event
    log and the admin say so; the due time is the calendar-day count."""
    year = first_uncovered_year()
    days = max((dt.date(year, 1, 20) - timezone.localdate()).days, 30)
    TimeLimit.objects.filter(category="dispute", severity="general").update(handle_days=days, unit="working")
    response = world.report()
    assert response.status_code == 201
    p = response.json()["properties"]
    assert f"{year} is not in the holiday calendar" in p["time_limit_note"]
    incident = Incident.objects.get(pk=p["id"])
    assert incident.due_at == add_days(incident.reported_at, days, "calendar")
    event = IncidentEvent.objects.get(incident=incident, action="report")
    assert f"{year} is not in the holiday calendar" in event.note


def test_the_system_check_and_the_admin_name_uncovered_years(admin_client, db):
    this_year = timezone.localdate().year
    missing = workdays.uncovered_years(this_year, this_year + 1)
    warnings = checks.calendar_covers_next_year(databases=["default"])
    assert [w.id for w in warnings] == (["layers.W002"] if missing else [])
    page = admin_client.get("/admin/layers/calendaroverride/")
    assert page.status_code == 200
    for year in missing:
        assert str(year) in warnings[0].msg and str(year) in uncovered_warning()
        assert f"does not cover {', '.join(map(str, missing))}" in page.content.decode()
    for year in missing:
        CalendarOverride.objects.create(date=dt.date(year, 1, 1), kind="holiday", note="元旦")
    assert checks.calendar_covers_next_year(databases=["default"]) == []
    assert uncovered_warning() == ""


# ---- petitions -----------------------------------------------------------------------------------------

def petition(world) -> int:
    response = world.report(category="petition")
    assert response.status_code == 201
    return response.json()["id"]


def test_a_petitions_due_time_counts_from_acceptance(world):
    pk = petition(world)
    incident = Incident.objects.get(pk=pk)
    assert incident.accept_due_at == add_days(incident.reported_at, 15, "calendar")
    assert incident.due_at == add_days(incident.accept_due_at, 60, "calendar")  # provisional
    assert world.post("op", f"/api/incidents/{pk}/accept").status_code == 200
    incident.refresh_from_db()
    assert incident.due_at == add_days(incident.accepted_at, 60, "calendar")
    # A second acceptance (after an escalation) does not move it again.
    due = incident.due_at
    assert world.post("op", f"/api/incidents/{pk}/escalate", {"note": "涉及多部门"}).status_code == 200
    assert world.post("op", f"/api/incidents/{pk}/accept").status_code == 200
    incident.refresh_from_db()
    assert incident.due_at == due


def test_a_petitions_extension_is_checked_against_the_regulation(world):
    pk = petition(world)
    assert world.post("op", f"/api/incidents/{pk}/accept").status_code == 200
    due = Incident.objects.get(pk=pk).due_at
    too_long = world.post("op", f"/api/incidents/{pk}/extend", {"note": "材料待补", "days": 45})
    assert too_long.status_code == 400
    error = too_long.json()["error"]
    assert error["field"] == "days" and "at most 30" in error["message"] and "信访工作条例" in error["message"]
    assert Incident.objects.get(pk=pk).extended_at is None  # nothing written
    assert world.post("op", f"/api/incidents/{pk}/extend", {"note": "材料待补", "days": 20}).status_code == 200
    assert Incident.objects.get(pk=pk).due_at == add_days(due, 20, "calendar")
    again = world.post("op", f"/api/incidents/{pk}/extend", {"note": "还要延期"})
    assert again.status_code == 409 and "extended once" in again.json()["error"]["message"]
    assert "信访工作条例" in again.json()["error"]["message"]


def test_other_classes_extend_by_at_most_the_tables_days(world):
    pk = world.report().json()["id"]
    world.post("op", f"/api/incidents/{pk}/accept")
    response = world.post("op", f"/api/incidents/{pk}/extend", {"note": "需现场测量", "days": 2})
    assert response.status_code == 400 and "at most 1 calendar days" in response.json()["error"]["message"]


def test_the_admin_refuses_a_petition_limit_looser_than_the_regulation(admin_client, db):
    row = TimeLimit.objects.get(category="petition", severity="general")
    assert row.from_acceptance and (row.accept_days, row.handle_days, row.extend_days) == (15, 60, 30)
    response = admin_client.post(f"/admin/layers/timelimit/{row.pk}/change/", {
        "category": "petition", "severity": "general", "accept_days": 15, "handle_days": 90, "extend_days": 30,
        "unit": "calendar", "from_acceptance": "on", "basis": row.basis})
    assert response.status_code == 200 and "at most 60 days for petitions" in response.content.decode()
    assert TimeLimit.objects.get(pk=row.pk).handle_days == 60


# ---- live flags: the API, the list filter, a tile, an export, OGC -----------------------------------

@pytest.fixture
def flagged(county):  # noqa: F811
    """Open matters in the west grid: one waiting past its acceptance limit, one due in 10 hours, one
    accepted late (not flagged any more), one due in 30 hours, one closed that was due soon."""
    now = timezone.now()
    west = (112.45, 35.05)
    waiting = make(*west, reported_at=now - 2 * D, accept_due_at=now - D, due_at=now + 5 * D, status="reported")
    soon = make(*west, reported_at=now - 14 * H, accept_due_at=now - 13 * H, accepted_at=now - 13.5 * H,
                due_at=now + 10 * H, status="accepted")
    make(*west, reported_at=now - 3 * D, accept_due_at=now - 2 * D, accepted_at=now - D, due_at=now + 3 * D,
         status="accepted")
    make(*west, reported_at=now - H, accept_due_at=now + 23 * H, due_at=now + 30 * H, status="reported")
    make(*west, reported_at=now - 5 * H, due_at=now + 2 * H, status="closed", closed_at=now - H)
    return {"accept_overdue": {waiting.pk}, "due_soon": {soon.pk}}


def ids(features_: list[dict]) -> set[int]:
    return {f["properties"]["id"] for f in features_}


def test_the_flags_in_the_answer_and_the_list_filter(client, admin_key, flagged):  # noqa: F811
    auth = {"HTTP_AUTHORIZATION": f"Bearer {admin_key}"}
    listed = client.get("/api/incidents", **auth).json()["features"]
    by_flag = {flag: {f["properties"]["id"] for f in listed if f["properties"][flag]} for flag in flagged}
    assert by_flag == flagged
    for flag, expected in flagged.items():
        assert ids(client.get(f"/api/incidents?flag={flag}", **auth).json()["features"]) == expected
    both = ids(client.get("/api/incidents?flag=accept_overdue,due_soon", **auth).json()["features"])
    assert both == flagged["accept_overdue"] | flagged["due_soon"]
    bad = client.get("/api/incidents?flag=late", **auth)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "flag"


def test_the_flag_filter_on_a_tile_an_export_and_ogc(client, admin_key, flagged):  # noqa: F811
    west = "419001103200001"
    for flag, expected in flagged.items():
        # Raw points from z16; the count at z12 (the basic grid) is the filtered intake.
        points = features(client, admin_key, "incidents", 16, 112.45, 35.05, flag=flag)
        assert {f["id"] for f in points} == expected
        assert all(f["properties"][flag] for f in points)
        counts = {f["properties"]["code"]: f["properties"]
                  for f in features(client, admin_key, "workload", 12, 112.45, 35.05, flag=flag)}
        assert counts[west]["intake"] == len(expected) and counts[west][flag] == len(expected)
        response = client.get(f"/api/export/incidents.geojson?flag={flag}", HTTP_AUTHORIZATION=f"Bearer {admin_key}")
        assert response.status_code == 200
        exported = json.loads(b"".join(response.streaming_content))["features"]
        assert {f["properties"]["id"] for f in exported} == expected and all(f["properties"][flag] for f in exported)
        items = client.get(f"/ogc/collections/incidents/items?flag={flag}",
                           HTTP_AUTHORIZATION=f"Bearer {admin_key}").json()["features"]
        assert {f["properties"]["id"] for f in items} == expected
    record = AuditRecord.objects.filter(action="export").latest("at")
    assert record.detail["flag"] == ["due_soon"]
    bad = client.get("/api/export/incidents.geojson?flag=soon", HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "flag"


def test_the_in_memory_flags_equal_the_sql_definitions(flagged):
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, coalesce(figures_accept_overdue(accepted_at, accept_due_at, closed_at, %(at)s),"
                       " false), coalesce(figures_due_soon(closed_at, due_at, %(at)s), false) FROM layers_incident",
                       {"at": now})
        in_sql = {pk: (a, s) for pk, a, s in cursor.fetchall()}
    assert in_sql == {i.pk: (i.is_accept_overdue(now), i.is_due_soon(now)) for i in Incident.objects.all()}


def test_a_one_day_matter_is_due_soon_from_intake(world):
    """A general dispute (1 day) is due within 24 hours as soon as it is reported, and not yet late to
    be accepted; nothing was counted other than the table says."""
    p = world.report(point=WEST_POINT).json()["properties"]
    assert (p["accept_overdue"], p["due_soon"], p["time_limit_note"]) == (False, True, None)
