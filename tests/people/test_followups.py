"""Key-group follow-ups: recorded by the responsible worker (or with the personal-data right) inside the
scope and audited; read only with the right, audited; a phone's back-dated time checked; the overdue
figure equals a count written directly in SQL, and reads "< 5" without the right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from geo.access import clear_token_cache, create_user
from geo.models import AuditRecord, Profile
from people import services
from people.models import FollowUp
from tests.people.conftest import id_number
from tests.support.grids import Api, add_worker


def changes() -> int:
    return AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE).count()


def reads() -> int:
    return AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ).count()


def worker_api(world, name: str, employee_no: str, scope: str) -> Api:
    clear_token_cache()
    _, key = create_user(name, "grid_worker", scope)
    Profile.objects.filter(user__username=name).update(worker_no=employee_no)
    return Api(world.client, key)


@pytest.fixture
def workers(world, tree):
    add_worker("W002", tree["west"])
    return {"mine": worker_api(world, "w1", "W001", "419001103200001"),
            "other": worker_api(world, "w2", "W002", "419001103200001")}


def path(person) -> str:
    return f"/api/people/{person.pk}/followups"


def test_the_responsible_worker_records_one_audited_without_seeing_the_note_back(world, workers):
    person = world.objs["people"][0]
    before = changes()
    answer = workers["mine"].post(path(person), {"kind": "visit", "outcome": "concern", "note": "情绪低落（演示）",
                                                 "client_id": "phone-1-0001"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["group"] == "correction" and body["outcome"] == "concern" and body["worker"] == "W001"
    assert "note" not in body and "情绪" not in answer.content.decode()
    stored = FollowUp.objects.get(pk=body["id"])
    assert stored.note == "情绪低落（演示）" and stored.recorded_by == "w1" and stored.worker.employee_no == "W001"
    assert changes() == before + 1
    row = AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE).order_by("-at").first()
    assert row.target == f"person:{person.pk}" and row.detail["follow_up"] == stored.pk
    # The phone retries after a lost answer: stored once.
    again = workers["mine"].post(path(person), {"kind": "visit", "client_id": "phone-1-0001"})
    assert again.status_code == 201 and again.json()["id"] == stored.pk and again["Idempotent-Replayed"] == "true"
    assert FollowUp.objects.count() == 1 and changes() == before + 1


def test_anyone_else_without_the_right_gets_the_same_refusal_whatever_the_id(world, workers):
    key_person, plain, east = world.objs["people"][0], world.objs["people"][1], world.objs["people"][3]
    answers = [workers["other"].post(path(key_person), {}), workers["other"].post(path(plain), {}),
               workers["other"].post(path(east), {}), workers["other"].post("/api/people/999999/followups", {}),
               world.api("leader").post(path(key_person), {})]
    assert {a.status_code for a in answers} == {403}
    assert len({a.json()["error"]["message"] for a in answers[:4]}) == 1
    assert FollowUp.objects.count() == 0


def test_reading_needs_the_right_and_is_audited(world, workers):
    person = world.objs["people"][0]
    services.follow_up(world.objs["tag"], note="按时报到（演示）", at=timezone.now() - dt.timedelta(days=2))
    for api in (workers["mine"], world.api("leader")):
        refused = api.get(path(person))
        assert refused.status_code == 403 and "按时报到" not in refused.content.decode()
    assert reads() == 0
    answer = world.api("officer").get(path(person))
    assert answer.status_code == 200, answer.content
    assert [f["note"] for f in answer.json()["follow_ups"]] == ["按时报到（演示）"]
    assert reads() == 1
    row = AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ).get()
    assert row.username == "officer" and row.detail["person"] == [person.pk] and "note" in row.detail["fields"]


def test_the_right_records_inside_the_scope_only(world):
    person, east = world.objs["people"][0], world.objs["people"][3]
    assert world.api("westie").post(path(person), {"kind": "phone"}).status_code == 201
    assert world.api("westie").post(path(east), {}).status_code == 404
    assert world.api("westie").get(path(east)).status_code == 404
    assert world.api("officer").post(path(world.objs["people"][1]), {}).status_code == 409  # in no key group
    assert FollowUp.objects.count() == 1


def test_a_back_dated_follow_up_from_an_offline_phone(world, workers):
    person = world.objs["people"][0]
    three_days = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)
    answer = workers["mine"].post(path(person), {"at": three_days.isoformat()})
    assert answer.status_code == 201, answer.content
    stored = FollowUp.objects.get()
    assert stored.at == three_days and stored.recorded_at > three_days
    for at, words in (((timezone.now() + dt.timedelta(hours=2)).isoformat(), "future"),
                      ((timezone.now() - dt.timedelta(days=45)).isoformat(), "30 days"),
                      ("2023-12-30", "30 days"), ("yesterday", "ISO 8601"), ("2026-13-01", "at")):
        refused = workers["mine"].post(path(person), {"at": at})
        assert refused.status_code == 400, (at, refused.content)
        assert refused.json()["error"]["field"] == "at" and words in refused.json()["error"]["message"], at
    assert workers["mine"].post(path(person), {"kind": "fax"}).status_code == 400
    assert workers["mine"].post(path(person), {"mood": "ok"}).status_code == 400
    assert FollowUp.objects.count() == 1


def test_a_person_in_two_groups_needs_the_group_named(world):
    person = world.objs["people"][0]
    services.tag(person, "drug", worker=world.objs["worker"], cadence_days=30, since=dt.date(2024, 1, 1))
    refused = world.api("officer").post(path(person), {})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "group"
    assert world.api("officer").post(path(person), {"group": "drug"}).json()["group"] == "drug"


SQL_OVERDUE = """
    SELECT count(*) FROM people_keytag k
    JOIN people_residence r ON r.person_id = k.person_id AND r.moved_out IS NULL
    JOIN layers_room rm ON rm.id = r.room_id JOIN layers_building b ON b.id = rm.building_id
    WHERE k.until IS NULL AND b.grid_code LIKE %s
      AND coalesce((SELECT max((f.at AT TIME ZONE 'Asia/Shanghai')::date) FROM people_followup f
                    WHERE f.tag_id = k.id), k.since) + k.cadence_days < (now() AT TIME ZONE 'Asia/Shanghai')::date
"""


def sql_overdue(prefix: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(SQL_OVERDUE, [prefix + "%"])
        return cursor.fetchone()[0]


def test_the_overdue_figure_equals_a_sql_count_and_is_hidden_when_small(world, tree):
    people = world.objs["people"]
    worker = world.objs["worker"]
    today = timezone.localdate()
    # Six key persons in the west grid: three overdue, three on cadence (one tagged recently, never visited).
    more = [services.register(name=f"演示重点{i}", id_number=id_number(20 + i), room=world.objs["west_rooms"][2],
                              moved_in=dt.date(2024, 1, 1), demo=True) for i in range(5)]
    tags = [world.objs["tag"]] + [services.tag(p, "mental", worker=worker, cadence_days=30, since=dt.date(2024, 1, 1))
                                  for p in more[:4]]
    tags.append(services.tag(more[4], "drug", worker=worker, cadence_days=30, since=today - dt.timedelta(days=3)))
    services.follow_up(tags[1], at=timezone.now() - dt.timedelta(days=5))
    services.follow_up(tags[2], at=timezone.now() - dt.timedelta(days=29))
    services.follow_up(tags[3], at=timezone.now() - dt.timedelta(days=40))  # overdue, like tags[0] and tags[4]
    services.follow_up(tags[3], at=timezone.now() - dt.timedelta(days=70))
    east_tag = services.tag(people[3], "released", worker=worker, cadence_days=90, since=dt.date(2024, 1, 1))
    services.follow_up(east_tag, at=timezone.now() - dt.timedelta(days=1))
    county = world.api("officer").get("/api/stats/419001", children="1").json()["people"]
    assert sql_overdue("419001") == 3
    assert county["unit"]["follow_ups"]["overdue"] == sql_overdue("419001")
    assert county["unit"]["follow_ups"]["key_persons"] == 7
    assert county["unit"]["follow_ups"]["done_30_days"] == 3
    assert county["unit"]["follow_ups"]["on_cadence_share"] == round(4 / 7, 4)
    detail = world.api("officer").get("/api/areas/419001103200001").json()["people"]["follow_ups"]
    assert detail["overdue"] == sql_overdue("419001103200001") == 3 and detail["key_persons"] == 6
    record = world.api("officer").get(f"/api/people/{people[0].pk}").json()["key_groups"][0]
    assert record["overdue_for_follow_up"] is True
    # A follow-up now puts one back on cadence.
    services.follow_up(tags[0])
    record = world.api("officer").get(f"/api/people/{people[0].pk}").json()["key_groups"][0]
    assert record["overdue_for_follow_up"] is False
    assert record["next_follow_up_due"] == str(today + dt.timedelta(days=30))
    assert world.api("officer").get("/api/stats/419001").json()["people"]["unit"]["follow_ups"]["overdue"] == 2
    # Without the right: small counts hidden, the share too.
    hidden = world.api("leader").get("/api/stats/419001").json()["people"]["unit"]["follow_ups"]
    # The share would give the hidden overdue count back (5/7 of 7): left out.
    assert hidden == {"key_persons": 7, "overdue": "< 5", "done_30_days": "< 5", "on_cadence_share": None}
    grid = world.api("leader").get("/api/areas/419001103200002").json()["people"]["follow_ups"]
    assert grid == {"key_persons": "< 5", "overdue": 0, "done_30_days": "< 5", "on_cadence_share": None}


def test_the_panorama_cards_show_the_follow_up_figures(world, client):
    from django.contrib.auth import get_user_model
    services.follow_up(world.objs["tag"], at=timezone.now() - dt.timedelta(days=1))
    user = get_user_model().objects.get(username="leader")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "data-kpi='followups_overdue'" in page or 'data-kpi="followups_overdue"' in page
    assert "Follow-ups (30 days)" in page or "近30天走访" in page


def test_the_safety_index_reads_the_same_definition_with_the_seeded_weight(world):
    from analysis.index import scores, versions
    from analysis.inputs import REGISTRY, Context

    person = world.objs["people"][1]
    fresh = services.tag(person, "drug", worker=world.objs["worker"], cadence_days=30, since=dt.date(2024, 1, 1))
    services.follow_up(fresh, at=timezone.now() - dt.timedelta(days=2))  # on cadence; world's tag is overdue
    month = timezone.localdate().replace(day=1)
    village = "419001103200"
    parts = REGISTRY["followups_on_cadence"].fetch(Context("419001", [month]))
    assert parts[(village, month)] == (1.0, 2.0)
    assert versions()[0].weights["followups_on_cadence"] == (1.0, 0.95, 0.7)
    part = next(p for p in scores(village, [month])[0].parts if p.key == "followups_on_cadence")
    assert part.value == 0.5 and part.sub_score == 0.0 and part.weight == 1.0
    # A month before the tags began: no key person, no value (the input is left out, not scored 0).
    before = REGISTRY["followups_on_cadence"].fetch(Context("419001", [dt.date(2023, 6, 1)]))
    assert before.get((village, dt.date(2023, 6, 1)), (0.0, 0.0))[1] == 0.0


KEPT_SQL = """
    SELECT k.id, k.due_on, k.grid_code,
           coalesce((SELECT max((f.at AT TIME ZONE 'Asia/Shanghai')::date) FROM people_followup f
                     WHERE f.tag_id = k.id), k.since) + k.cadence_days,
           (SELECT b.grid_code FROM people_residence r JOIN layers_room rm ON rm.id = r.room_id
            JOIN layers_building b ON b.id = rm.building_id WHERE r.person_id = k.person_id AND r.moved_out IS NULL)
    FROM people_keytag k ORDER BY k.id
"""


def assert_kept_and_walked_agree() -> None:
    """Each tag's kept due day and grid equal the ones written out here from the rows; now's figures (read
    from them) equal the walk's, for the county and each grid."""
    with connection.cursor() as cursor:
        cursor.execute(KEPT_SQL)
        rows = cursor.fetchall()
        assert rows and all((due, grid) == (want_due, want_grid) for _, due, grid, want_due, want_grid in rows), rows
        for prefix in ("419001", "419001103200001", "419001103200002"):
            cursor.execute("SELECT * FROM people_key_followups(%(p)s, now(), now() - interval '30 days') ORDER BY 1",
                           {"p": prefix})
            fast = cursor.fetchall()
            cursor.execute("SELECT * FROM people_key_followups_walk(%(p)s, now(), now() - interval '30 days') "
                           "ORDER BY 1", {"p": prefix})
            assert fast == cursor.fetchall()


def test_each_tag_keeps_its_due_day_and_grid_through_every_write(world):
    from people.models import KeyTag
    people = world.objs["people"]
    tag = world.objs["tag"]
    assert_kept_and_walked_agree()
    visit = services.follow_up(tag, at=timezone.now() - dt.timedelta(days=3))  # a follow-up
    assert KeyTag.objects.get(pk=tag.pk).due_on == timezone.localdate() - dt.timedelta(days=3) + dt.timedelta(days=30)
    other = services.tag(people[3], "drug", worker=world.objs["worker"], cadence_days=7,
                         since=dt.date(2024, 1, 1))  # a new tag, in the east
    assert KeyTag.objects.get(pk=other.pk).grid_code == "419001103200002"
    assert_kept_and_walked_agree()
    services.move(people[0], world.objs["east_rooms"][1])  # a move
    assert KeyTag.objects.get(pk=tag.pk).grid_code == "419001103200002"
    assert_kept_and_walked_agree()
    visit.delete()  # a follow-up removed: due from the tag's start again
    assert KeyTag.objects.get(pk=tag.pk).due_on == tag.since + dt.timedelta(days=30)
    assert_kept_and_walked_agree()
    # A save of a stale instance (the app never writes the kept columns) recomputes them.
    stale = KeyTag.objects.get(pk=other.pk)
    services.follow_up(stale, at=timezone.now() - dt.timedelta(days=1))
    stale.cadence_days = 14
    stale.save()
    assert KeyTag.objects.get(pk=other.pk).due_on == timezone.localdate() - dt.timedelta(days=1) + dt.timedelta(days=14)
    assert_kept_and_walked_agree()
    # A redraw moves the east building into the west grid; a room moves to the other building.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE layers_building SET grid_code = '419001103200001' WHERE id = %s",
                       [world.objs["east"].pk])
    assert KeyTag.objects.get(pk=other.pk).grid_code == "419001103200001"
    assert_kept_and_walked_agree()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE layers_building SET grid_code = '419001103200002' WHERE id = %s",
                       [world.objs["east"].pk])
        cursor.execute("UPDATE layers_room SET building_id = %s WHERE id = %s",
                       [world.objs["west"].pk, world.objs["east_rooms"][0].pk])
    assert KeyTag.objects.get(pk=other.pk).grid_code == "419001103200001"
    assert_kept_and_walked_agree()
    # A tag closed today is no longer counted; a person leaving every room counts nowhere.
    KeyTag.objects.filter(pk=tag.pk).update(until=timezone.localdate())
    assert_kept_and_walked_agree()
    from people.models import Residence
    Residence.objects.filter(person=people[3]).delete()
    assert KeyTag.objects.get(pk=other.pk).grid_code is None
    assert_kept_and_walked_agree()
