"""/api/people and /api/enterprises: personal records only with the personal-data right and inside the
scope, every read audited; bad parameters a 400 naming the field."""

from __future__ import annotations

from geo.models import AuditRecord
from people.models import PERSONAL_FIELDS
from tests.people.conftest import id_number


def reads() -> int:
    return AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ).count()


def test_a_user_with_the_right_reads_a_person_and_an_audit_row_appears(world):
    person = world.objs["people"][0]
    before = reads()
    answer = world.api("officer").get(f"/api/people/{person.pk}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["id_number"] == id_number(0) and body["name"] == "演示居民0" and body["demo"] is True
    assert body["room"] == world.objs["west_rooms"][0].address_code
    assert body["key_groups"][0]["group"] == "correction"
    assert body["key_groups"][0]["worker"]["employee_no"] == "W001"
    assert reads() == before + 1
    row = AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ).order_by("-at").first()
    assert row.username == "officer" and row.detail["person"] == [person.pk] and row.target == f"person:{person.pk}"


def test_without_the_right_no_person_and_no_personal_field(world):
    person = world.objs["people"][0]
    for path in (f"/api/people/{person.pk}", "/api/people", "/api/people?area=419001103200001"):
        answer = world.api("leader").get(path)
        assert answer.status_code == 403, path
        text = answer.content.decode()
        assert "演示居民" not in text and id_number(0) not in text
    ent = world.api("leader").get(f"/api/enterprises/{world.objs['enterprise'].pk}").json()
    assert ent["name"] == "演示企业" and not set(PERSONAL_FIELDS["enterprise"]) & set(ent)
    listing = world.api("leader").get("/api/enterprises").content.decode()
    assert "演示法人" not in listing and "13800000000" not in listing
    assert reads() == 0


def test_the_scope_hides_other_grids(world):
    east_person = world.objs["people"][3]
    assert world.api("westie").get(f"/api/people/{east_person.pk}").status_code == 404
    assert world.api("eastie").get(f"/api/people/{east_person.pk}").status_code == 200
    page = world.api("westie").get("/api/people").json()
    assert page["total"] == 3 and {p["grid"] for p in page["people"]} == {"419001103200001"}
    assert world.api("westie").get("/api/people?area=419001103200002").status_code == 404
    assert world.api("westie").get(f"/api/enterprises/{world.objs['enterprise'].pk}").status_code == 404


def test_a_listing_is_paged_and_audited_once(world):
    before = reads()
    first = world.api("officer").get("/api/people", limit=2).json()
    second = world.api("officer").get("/api/people", limit=2, offset=2).json()
    assert first["total"] == second["total"] == 4
    assert len(first["people"]) == 2 and len(second["people"]) == 2
    assert {p["id"] for p in first["people"]}.isdisjoint({p["id"] for p in second["people"]})
    assert reads() == before + 2


def test_an_enterprise_with_the_right_shows_its_representative_audited(world):
    before = reads()
    body = world.api("officer").get(f"/api/enterprises/{world.objs['enterprise'].pk}").json()
    assert body["legal_representative"] == "演示法人" and body["building"] == world.objs["east"].address_code
    assert reads() == before + 1


def test_bad_parameters_are_400s_naming_the_field(world):
    for params, field in (({"area": "abc"}, "area"), ({"limit": "0"}, "limit"), ({"limit": "x"}, "limit"),
                          ({"offset": "-1"}, "offset")):
        for path in ("/api/people", "/api/enterprises"):
            answer = world.api("officer").get(path, **params)
            assert answer.status_code == 400, (path, params)
            assert answer.json()["error"]["field"] == field
    assert world.api("officer").get("/api/people/999999").status_code == 404
    assert world.client.get("/api/people/1").status_code == 401
