"""The admin: read-only boundary history, API tokens issued with a key shown once, the audit CSV,
login throttling, and the bulk rate limit on area-wide checks."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model

from geo.access import clear_token_cache, create_user
from geo.models import ApiToken, AuditRecord
from grids.models import BoundaryVersion


@pytest.fixture
def staff(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "a-long-password-0")
    client.force_login(user)
    return user


def test_boundary_history_is_read_only(client, staff, tree):
    version = BoundaryVersion.objects.filter(area=tree["west"]).first()
    base = "/admin/grids/boundaryversion/"
    listing = client.get(base)
    assert listing.status_code == 200
    assert f"{base}add/" not in listing.content.decode()
    assert client.get(f"{base}add/").status_code == 403
    page = client.get(f"{base}{version.pk}/change/")
    assert page.status_code == 200
    assert "vertices" in page.content.decode() and 'name="reason"' not in page.content.decode()
    assert client.post(f"{base}{version.pk}/change/", {"reason": "edited"}).status_code == 403
    assert client.post(f"{base}{version.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(base, {"action": "delete_selected", "_selected_action": [version.pk]}).status_code in (200, 302)
    version.refresh_from_db()
    assert BoundaryVersion.objects.filter(pk=version.pk).exists() and version.reason != "edited"


def test_adding_tokens_generates_a_key_shown_once(client, staff):
    owner, _ = create_user("analyst1", "analyst", "419001")
    keys = []
    for label in ("laptop", "wall screen"):  # a second add used to collide on an empty key hash (500)
        response = client.post("/admin/geo/apitoken/add/", {"user": owner.pk, "label": label})
        assert response.status_code == 200, response.content[:500]
        assert "no-store" in response["Cache-Control"]
        token = ApiToken.objects.get(label=label)
        key = response.context["key"]
        assert key in response.content.decode() and key.startswith(token.prefix) and len(key) >= 40
        keys.append(key)
    assert keys[0] != keys[1]
    clear_token_cache()
    me = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {keys[1]}")
    assert me.status_code == 200 and me.json()["username"] == "analyst1"
    change = client.get(f"/admin/geo/apitoken/{ApiToken.objects.get(label='laptop').pk}/change/").content.decode()
    assert keys[0] not in change and "key_hash" not in change
    assert AuditRecord.objects.filter(action="user_change", target="analyst1", detail__api_token="issued").count() == 2


def test_audit_csv_has_a_bom_and_json_details(client, staff):
    record = AuditRecord.objects.create(username="张三", action="export", target="incidents", rows=3,
                                        detail={"filters": {"area": "419001"}, "personal": False, "说明": "导出"})
    response = client.post("/admin/geo/auditrecord/", {"action": "export_csv", "_selected_action": [record.pk]})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["at", "username", "action", "target", "rows", "ip", "detail"]
    assert rows[1][1] == "张三"
    assert json.loads(rows[1][6]) == {"filters": {"area": "419001"}, "personal": False, "说明": "导出"}


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_logins_are_throttled_per_user_name_and_address(client, db, settings, path):
    # A window of ~30 years: the attempts cannot straddle two fixed windows, as they may within 300 s.
    settings.GRIDMAP_RATE_LIMITS = {**settings.GRIDMAP_RATE_LIMITS, "login": (3, 10**9)}
    create_user("clerk", "operator", "419001", password="a-long-password-7")
    for _ in range(3):
        assert client.post(path, {"username": "clerk", "password": "guess"}).status_code == 200
    refused = client.post(path, {"username": "clerk", "password": "a-long-password-7"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 10**9 + 1
    assert "_auth_user_id" not in client.session  # the right password does not get through either
    assert AuditRecord.objects.filter(action="login_failed", target="clerk", detail__reason="throttled").count() == 1
    # Another user name from the same address has a budget of its own.
    create_user("other", "administrator", "", password="a-long-password-8")  # staff: the admin too
    assert client.post(path, {"username": "other", "password": "a-long-password-8"}).status_code == 302


def test_area_checks_use_the_bulk_rate_limit(client, tree, settings):
    settings.GRIDMAP_RATE_LIMITS = {**settings.GRIDMAP_RATE_LIMITS, "bulk": (2, 10**9)}  # one window throughout
    clear_token_cache()
    _, key = create_user("planner9", "planner", "419001")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    for _ in range(2):
        assert client.get("/api/areas/419001103200/check", **auth).status_code == 200
    limited = client.get("/api/areas/419001103200/check", **auth)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited" and "Retry-After" in limited
    assert client.get("/api/areas/419001103200", **auth).status_code == 200  # a detail is not a bulk request
