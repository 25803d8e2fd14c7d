"""The planner page: a Folium map with the draw tool, the grid, its neighbours and the redraw form."""

from __future__ import annotations

import json

from django.test import Client

from geo.access import create_user
from tests.support.grids import box, gj

W, E = "419001103200001", "419001103200002"


def login(client: Client, name: str, role: str, scope: str) -> None:
    """A session login (force_login: password hashing would be most of these tests' time)."""
    user, _ = create_user(name, role, scope)
    client.force_login(user)


def test_page_shows_the_grid_the_draw_tool_and_the_form(client, tree):
    login(client, "planner", "planner", "419001103")
    response = client.get(f"/planner/{W}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "L.Control.Draw" in page and "leaflet.draw" in page
    assert f"/api/areas/{W}/redraw/preview" in page and f"/api/areas/{W}/redraw/commit" in page
    assert f'<option value="{E}">' in page  # the neighbour, offered for the lost area
    assert "西网格" in page and "csrf" in page
    assert "<title>Gridmap planner" in page


def test_names_are_escaped(client, tree):
    tree["east"].name = '<script>alert(1)</script>`${x}`'
    tree["east"].save()
    login(client, "planner", "planner", "419001103")
    page = client.get(f"/planner/{W}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    # The tooltip goes into a JavaScript template literal: backticks and ${ are escaped there.
    assert "&#96;&#36;{x}&#96;" in page


def test_anonymous_is_sent_to_login_and_other_roles_are_refused(client, tree):
    assert client.get(f"/planner/{W}/").status_code == 302
    login(client, "leader", "leader", "419001")
    assert client.get(f"/planner/{W}/").status_code == 403


def test_planner_outside_scope_gets_404_and_non_grids_400(client, tree):
    login(client, "p104", "planner", "419001104")
    assert client.get(f"/planner/{W}/").status_code == 404
    client.logout()
    login(client, "planner", "planner", "419001103")
    assert client.get("/planner/419001103200/").status_code == 400


def test_session_posts_need_the_csrf_token_and_token_posts_do_not(tree):
    browser = Client(enforce_csrf_checks=True)
    login(browser, "planner", "planner", "419001103")
    body = json.dumps({"boundary": gj(box(112.4, 35.0, 112.52, 35.1)), "gained_from": "neighbours"})
    url = f"/api/areas/{W}/redraw/preview"
    refused = browser.post(url, body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    page = browser.get(f"/planner/{W}/")
    token = page.cookies["csrftoken"].value
    assert browser.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token).status_code == 200
    _, key = create_user("script", "planner", "419001103")
    script = Client(enforce_csrf_checks=True)
    assert script.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
                       ).status_code == 200
