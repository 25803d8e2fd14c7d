"""The admin obeys the API's rules: people only with the personal-data right and inside the scope,
each page of personal fields audited; an enterprise's representative only with the right; a bad credit
code refused by the form."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from geo.models import AuditRecord, Profile
from people.models import Enterprise
from tests.people.conftest import credit_code


def staff(client, name: str, scope: str, personal: bool):
    user = get_user_model().objects.create_user(name, password="pw-123456", is_staff=True, is_superuser=True)
    Profile.objects.create(user=user, role="administrator", scope=scope, personal_data=personal)
    client.force_login(user)
    return user


def reads() -> int:
    return AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ).count()


def test_admin_without_the_personal_right_reads_no_person(world, client):
    # An administrator's role carries the right; a leader's profile on a superuser account does not.
    user = get_user_model().objects.create_user("nosy", password="pw-123456", is_staff=True, is_superuser=True)
    Profile.objects.create(user=user, role="leader", scope="", personal_data=False)
    client.force_login(user)
    person = world.objs["people"][0]
    assert client.get("/admin/people/person/").status_code == 403
    assert client.get(f"/admin/people/person/{person.pk}/change/").status_code in (302, 403)
    page = client.get(f"/admin/people/enterprise/{world.objs['enterprise'].pk}/change/")
    assert page.status_code == 200 and "演示法人" not in page.content.decode()
    assert "演示居民" not in client.get("/admin/").content.decode()
    assert reads() == 0


def test_admin_with_the_right_is_scoped_and_audited(world, client):
    staff(client, "westadmin", "419001103200001", True)
    west_person, east_person = world.objs["people"][0], world.objs["people"][3]
    listing = client.get("/admin/people/person/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "演示居民0" in text and "演示居民东" not in text
    assert reads() == 1
    record = client.get(f"/admin/people/person/{west_person.pk}/change/")
    assert record.status_code == 200 and "41900119800101000" in record.content.decode()
    assert reads() == 2
    assert client.get(f"/admin/people/person/{east_person.pk}/change/").status_code == 302  # not found: redirected


def test_admin_refuses_a_bad_credit_code(world, client):
    staff(client, "entadmin", "", True)
    bad = credit_code(2)[:17] + ("0" if credit_code(2)[17] != "0" else "1")
    answer = client.post("/admin/people/enterprise/add/", {
        "credit_code": bad, "name": "坏企业", "kind": "company", "building": world.objs["west"].pk,
        "employees": 1})
    assert answer.status_code == 200 and "expected" in answer.content.decode()
    assert not Enterprise.objects.filter(name="坏企业").exists()


def test_follow_ups_in_the_admin_read_only_with_the_right_scoped_and_audited(world, client):
    import datetime as dt

    from django.utils import timezone

    from people import services
    from people.models import FollowUp

    west_tag = world.objs["tag"]
    east_tag = services.tag(world.objs["people"][3], "released", worker=world.objs["worker"], cadence_days=90,
                            since=dt.date(2024, 1, 1))
    mine = services.follow_up(west_tag, note="西边走访记录（演示）", at=timezone.now() - dt.timedelta(days=1))
    services.follow_up(east_tag, note="东边走访记录（演示）", at=timezone.now() - dt.timedelta(days=1))
    nosy = get_user_model().objects.create_user("nosy2", password="pw-123456", is_staff=True, is_superuser=True)
    Profile.objects.create(user=nosy, role="leader", scope="", personal_data=False)
    client.force_login(nosy)
    assert client.get("/admin/people/followup/").status_code == 403
    assert client.get(f"/admin/people/followup/{mine.pk}/change/").status_code in (302, 403)
    assert reads() == 0
    staff(client, "westadmin2", "419001103200001", True)
    listing = client.get("/admin/people/followup/")
    assert listing.status_code == 200 and f"person #{west_tag.person_id}" in listing.content.decode()
    assert f"person #{east_tag.person_id}" not in listing.content.decode()
    assert reads() == 1
    record = client.get(f"/admin/people/followup/{mine.pk}/change/")
    assert record.status_code == 200 and "西边走访记录" in record.content.decode()
    assert reads() == 2
    assert client.post(f"/admin/people/followup/{mine.pk}/change/", {"note": "改"}).status_code == 403
    assert client.get("/admin/people/followup/add/").status_code == 403
    assert FollowUp.objects.get(pk=mine.pk).note == "西边走访记录（演示）"
