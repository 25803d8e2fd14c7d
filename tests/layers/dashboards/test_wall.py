"""/api/wall, the live wall's poll: its feed against the rows (new, newly overdue, newly supervised),
the area scope and a department account's narrowing, the 400s naming the parameter, the 304 when
nothing changed, the shared answer (rebuilt once, KPIs recounted only on a change), and that no
personal field ever leaves it. The browser side is in test_browser.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from geo.access import create_user
from layers.dashboards import wall
from layers.desk.departments import seed
from layers.desk.models import Dispatch, Supervision
from tests.support.dashboards import EAST_POINT, WEST_POINT, build_county, build_incidents, make

ITEM_FIELDS = {"kind", "id", "class", "grid", "at", "lat", "lon"}


@pytest.fixture(autouse=True)
def fresh_cache():
    wall.clear()
    yield
    wall.clear()


@pytest.fixture
def county(db):
    areas = build_county()
    return areas, build_incidents()


@pytest.fixture
def admin(client, county):
    client.force_login(create_user("wall-admin", "administrator", "")[0])
    return client


def get(client, query: str = "", **headers):
    return client.get("/api/wall" + (f"?{query}" if query else ""), headers=headers)


def body(response) -> dict:
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


def keys(answer: dict) -> set[tuple[str, int]]:
    return {(item["kind"], item["id"]) for item in answer["items"]}


def cards(answer: dict) -> dict[str, str]:
    return {card["key"]: card["value"] for card in answer["cards"]}


def test_feed_lists_new_and_newly_overdue_matters_with_no_personal_field(admin, county):
    _, rows = county
    secret = make(WEST_POINT, reporter_name="刘秘密", reporter_phone="13912345678", parties="当事人甲",
                  description="邻里纠纷细节", reported_at=timezone.now() - dt.timedelta(minutes=5),
                  due_at=timezone.now() + dt.timedelta(days=3))
    answer = body(get(admin))
    assert answer["area"] == "419001"
    assert answer["kinds"][:2] == ["new", "overdue"]
    got = keys(answer)
    # Every matter reported within 24 h is new; the open ones past their limit within 24 h are overdue;
    # a matter overdue for a day, or closed, or past its limit 40 days ago, is not newly overdue.
    assert ("new", secret.pk) in got
    assert ("new", rows["other_town"].pk) in got
    assert ("overdue", rows["open_late"].pk) in got
    assert ("overdue", rows["closed_late"].pk) not in got
    assert ("overdue", rows["hazard_late"].pk) not in got
    assert ("new", rows["old"].pk) not in got
    for item in answer["items"]:
        assert set(item) == ITEM_FIELDS
    first = answer["items"][0]
    assert (first["kind"], first["id"]) == ("new", secret.pk), "newest first"
    assert first["grid"] == "西网格" and first["class"] == "dispute"
    assert first["lon"] == pytest.approx(WEST_POINT[0]) and first["lat"] == pytest.approx(WEST_POINT[1])
    text = json.dumps(answer, ensure_ascii=False)
    for personal in ("刘秘密", "13912345678", "当事人甲", "邻里纠纷细节", "王一", "13800000000", "W1"):
        assert personal not in text
    # The cards are the page's: today's intake and overdue as counted for the panorama.
    assert cards(answer)["intake"] == "8" and cards(answer)["overdue"] == "3"


def test_scope_limits_the_feed_and_the_area(client, county):
    _, rows = county
    client.force_login(create_user("wall-leader", "leader", "419001103")[0])
    answer = body(get(client))
    assert answer["area"] == "419001103", "the default area is the root of the caller's scope"
    assert ("new", rows["other_town"].pk) not in keys(answer)
    assert ("new", rows["open"].pk) in keys(answer)
    assert get(client, "area=419001104").status_code == 404
    assert get(client, "area=419001").status_code == 404
    grid = body(get(client, "area=419001103200002"))
    assert {item["grid"] for item in grid["items"]} == {"东网格"}


def test_token_and_anonymous(client, county):
    _, key = create_user("wall-screen", "leader", "419001104")
    answer = body(get(client, f"token={key}"))
    assert answer["area"] == "419001104"
    assert {item["grid"] for item in answer["items"]} == {"邵原网格"}
    assert get(client).status_code in (401, 403)
    assert get(client, "token=not-a-real-key").status_code in (401, 403)


@pytest.mark.parametrize("query, field", [
    ("area=41900x", "area"), ("area=4190011", "area"), ("class=nonsense", "class"),
    ("since=2026-13-40", "since"), ("after=zz", "after"), ("after=0123", "after"), ("lang=fr", "lang"),
])
def test_bad_parameters_are_400_naming_them(admin, query, field):
    response = get(admin, query)
    assert response.status_code == 400, (query, response.status_code)
    assert field in response.content.decode()


def test_unchanged_answer_is_a_304_and_a_new_matter_changes_it(admin, county):
    first = get(admin)
    answer = body(first)
    etag = first.headers["ETag"]
    assert etag == f'"{answer["cursor"]}"'
    assert get(admin, f"after={answer['cursor']}").status_code == 304
    assert get(admin, **{"If-None-Match": etag}).status_code == 304
    assert get(admin, "after=0123456789abcdef").status_code == 200, "another cursor gets the answer"

    new = make(EAST_POINT, category="petition", reported_at=timezone.now(),
               due_at=timezone.now() + dt.timedelta(days=60))
    wall.clear()  # as FRESH_SECONDS passing would
    after = body(get(admin, f"after={answer['cursor']}"))
    assert after["cursor"] != answer["cursor"]
    assert after["items"][0]["id"] == new.pk and after["items"][0]["grid"] == "东网格"
    assert int(cards(after)["intake"]) == int(cards(answer)["intake"]) + 1


def test_one_answer_shared_and_kpis_counted_only_on_a_change(admin, county, monkeypatch):
    body(get(admin))
    rebuilds, counts = wall.stats["rebuilds"], wall.stats["kpi_counts"]
    for _ in range(5):
        body(get(admin))
    assert wall.stats["rebuilds"] == rebuilds, "fresh answers are served from the cache"
    # Stale but unchanged: the feed is read again, the KPIs are not recounted.
    monkeypatch.setattr(wall, "FRESH_SECONDS", 0.0)
    body(get(admin))
    assert wall.stats["rebuilds"] == rebuilds + 1
    assert wall.stats["kpi_counts"] == counts
    # A change, but the last count is too recent for its cost: the feed shows the matter, the cards wait.
    monkeypatch.setattr(wall, "KPI_COST_FACTOR", 1e9)
    new = make(WEST_POINT, reported_at=timezone.now(), due_at=timezone.now() + dt.timedelta(days=1))
    answer = body(get(admin))
    assert ("new", new.pk) in keys(answer)
    assert wall.stats["kpi_counts"] == counts
    monkeypatch.setattr(wall, "KPI_COST_FACTOR", 0)
    answer = body(get(admin))
    assert wall.stats["kpi_counts"] == counts + 1
    assert cards(answer)["intake"] == "8"


def test_newly_supervised_matters_are_in_the_feed(admin, county):
    _, rows = county
    Supervision.objects.create(incident=rows["open"], kind="supervised", reason="重点矛盾")
    Supervision.objects.create(incident=rows["old"], kind="supervised",
                               opened_at=timezone.now() - dt.timedelta(days=2))
    answer = body(get(admin))
    assert "supervised" in answer["kinds"]
    assert ("supervised", rows["open"].pk) in keys(answer)
    assert ("supervised", rows["old"].pk) not in keys(answer), "opened two days ago: not new"
    assert "重点矛盾" not in json.dumps(answer, ensure_ascii=False)
    assert cards(answer)["supervised"] == "1", "the desk's cards come along"


def test_a_department_account_sees_only_its_dispatched_matters(client, county):
    _, rows = county
    seed("419001")
    Dispatch.objects.create(incident=rows["open_late"], department_id="419001-SFJ", role="lead")
    Dispatch.objects.create(incident=rows["open"], department_id="419001-ZJJ", role="lead")
    _, key = create_user("wall-sfj", "department", "419001", department="419001-SFJ")
    answer = body(get(client, f"token={key}"))
    assert {item["id"] for item in answer["items"]} == {rows["open_late"].pk}
    assert cards(answer)["intake"] == "1"
    # The center's answer for the same unit is another one, not the department's cached one.
    client.force_login(create_user("wall-admin-2", "administrator", "")[0])
    assert len({item["id"] for item in body(get(client))["items"]}) > 1


def test_registry_adds_a_kind(admin, county, monkeypatch):
    """Supervision plugs in as one entry: here a stand-in kind over the same non-personal columns."""
    _, rows = county
    monkeypatch.setattr(wall, "FEED_KINDS", list(wall.FEED_KINDS))
    wall.register(wall.FeedKind("petition", """
        SELECT i.id, i.category, i.grid_code, i.reported_at, ST_Y(i.location), ST_X(i.location)
        FROM layers_incident i WHERE i.category = 'petition' AND i.reported_at > %(since)s
          AND i.grid_code LIKE %(prefix)s || '%%' ORDER BY i.reported_at DESC LIMIT %(limit)s"""))
    answer = body(get(admin))
    assert answer["kinds"] == ["new", "overdue", "supervised", "petition"]
    assert ("petition", rows["on_time"].pk) in keys(answer)


def test_panorama_page_starts_the_wall(admin):
    response = admin.get("/?period=today")
    text = response.content.decode()
    assert '<ol class="gm-ticker"' in text
    assert "gridmap.wall(map_" in text and "/api/wall?period=today" in text and "area=419001" in text
