"""The access core: tokens and sessions resolve to a role, a scope and permissions; audit records."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from geo.access import clear_token_cache, create_user
from geo.models import ApiToken, AuditRecord


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    clear_token_cache()
    yield
    clear_token_cache()


def test_anonymous_is_refused_with_401(client, db):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert "API token" in response.json()["error"]["message"]


def test_token_in_header_or_query_parameter(client, tree):
    _, key = create_user("leader1", "leader", tree["township"].code)
    for response in (client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}"),
                     client.get(f"/api/me?token={key}")):
        assert response.status_code == 200
        assert response.json()["role"] == "leader"
        assert response.json()["scope"] == "419001103"
        assert "redraw" not in response.json()["permissions"]


def test_unknown_and_revoked_tokens_are_401(client, tree):
    user, key = create_user("op", "operator", tree["county"].code)
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    ApiToken.objects.filter(user=user).update(revoked=True)
    clear_token_cache()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_session_login_is_audited(client, tree):
    create_user("planner1", "planner", tree["village"].code, password="a-long-password-1")
    assert client.login(username="planner1", password="a-long-password-1")
    assert client.get("/api/me").json()["permissions"] == ["addresses", "export", "redraw", "view"]
    assert AuditRecord.objects.filter(action="login", username="planner1").exists()
    client.logout()
    assert not client.login(username="planner1", password="wrong")
    assert AuditRecord.objects.filter(action="login_failed", target="planner1").exists()


def test_add_user_prints_a_working_token(client, tree, capsys):
    call_command("add_user", "worker7", "--role", "grid_worker", "--scope", tree["west"].code)
    key = capsys.readouterr().out.split("API token (shown once): ")[1].strip()
    body = client.get("/api/me", HTTP_AUTHORIZATION=f"Token {key}").json()
    assert (body["role"], body["scope"]) == ("grid_worker", tree["west"].code)
    assert AuditRecord.objects.filter(action="user_change", target="worker7").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["x", "--role", "leader", "--scope", "419009"], "no area with that code"),
    (["x", "--role", "leader"], "needs --scope"),
])
def test_add_user_refuses_bad_scopes(tree, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_user", *args)


def test_token_posts_skip_csrf_but_session_posts_do_not(tree):
    from django.test import Client

    user, key = create_user("poster", "operator", tree["county"].code, password="a-long-password-9")
    strict = Client(enforce_csrf_checks=True)
    # /api/me only answers GET: a POST that passes CSRF gets 405, one that fails it gets 403.
    assert strict.post("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 405
    strict.login(username="poster", password="a-long-password-9")
    assert strict.post("/api/me").status_code == 403
