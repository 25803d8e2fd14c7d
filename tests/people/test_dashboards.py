"""The dashboards carry the people panel and the people layer; small key-group counts are hidden from
users without the personal-data right there too, and no person's name ever appears."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model


def login(client, name: str):
    client.force_login(get_user_model().objects.get(username=name))


def cards(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-kpi="([a-z_0-9]+)"><div class="gm-kpi-label">[^<]*</div>'
                           r'<div class="gm-kpi-value">([^<]*)</div>', html))


def test_panorama_people_cards_and_layer(world, client):
    login(client, "leader")
    html = client.get("/?lang=en").content.decode()
    found = cards(html)
    assert found["population"] == "4" and found["enterprises"] == "1" and found["households"] == "0"
    assert found["key_persons"] == "&lt; 5"
    assert "/tiles/people/" in html and "Residents per km²" in html
    assert "演示居民" not in html and "演示法人" not in html
    login(client, "officer")
    assert cards(client.get("/?lang=en").content.decode())["key_persons"] == "1"


def test_workload_page_shows_residents_per_grid_worker(world, client):
    login(client, "leader")
    html = client.get("/dashboards/workload/?area=419001103200&lang=en").content.decode()
    assert "Residents per grid worker" in html
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert ("西网格", "3", "1", "3.0") in rows and ("东网格", "1", "0", "—") in rows
