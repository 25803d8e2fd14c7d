"""The month's early warnings on the panorama and drill-down pages (analysis/dashboards.py through
layers/dashboards/sections.py): a planted surge is listed with its sentence and a link to the grid's
page, the map offers the warnings layer (off by default), a user outside the scope and a department
account see none, and every read is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from analysis import dashboards
from geo.access import create_user
from geo.models import AuditRecord
from grids.models import Area
from layers.models import Incident
from tests.analysis.conftest import local
from tests.analysis.test_warnings import STEP, X0, Y0, N, before, lattice  # noqa: F401 (the fixture)
from tests.support.areas import box

THIS_MONTH = timezone.localdate().replace(day=1)
SURGED = 20  # the grid index that surges this month


@pytest.fixture(autouse=True)
def fresh():
    dashboards.clear()
    yield
    dashboards.clear()


def put(counts: dict[int, int], month: dt.date) -> None:
    """counts[grid index] matters in each grid, reported early on the 1st (never in the future)."""
    rows = []
    for i, n in counts.items():
        r, c = divmod(i, N)
        point = Point(X0 + (c + 0.5) * STEP, Y0 + (r + 0.5) * STEP, srid=4326)
        rows += [Incident(location=point, category="dispute", source="walk_in", status="accepted",
                          reported_at=local(month.year, month.month, 1, 0)) for _ in range(n)]
    Incident.objects.bulk_create(rows)


@pytest.fixture
def surge(lattice):  # noqa: F811
    """Two matters a month in every grid for a year, fourteen in one grid this month; and a second,
    empty township for a leader outside the first."""
    for back in range(1, 13):
        put({i: 2 for i in range(N * N)}, before(THIS_MONTH, back))
    put({i: (14 if i == SURGED else 2) for i in range(N * N)}, THIS_MONTH)
    Area.objects.create(code="419001104", name="坡头镇", level=2, parent_id="419001",
                        boundary=box(X0 + 1, Y0, X0 + 1.1, Y0 + 0.1))
    return lattice


def text_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_a_planted_surge_is_listed_on_the_panorama_and_drill_down(surge, client):
    client.force_login(create_user("wang", "leader", "419001")[0])
    text = text_of(client, "/")
    grid = surge[SURGED]
    assert f'data-code="{grid}"' in text
    assert "expected from its own last 12 months" in text
    assert f'href="/dashboards/grid/{grid}/"' in text
    assert 'href="/analysis/419001/"' in text
    # The layer switcher offers the warnings, fetched from the analysis route and off until chosen.
    assert "gridmap.remoteLayer(" in text and "/api/analysis/warnings/419001?format=geojson" in text
    # The same on the township's and the village's pages.
    for code in ("419001103", "419001103200"):
        route = "township" if len(code) == 9 else "village"
        page = text_of(client, f"/dashboards/{route}/{code}/")
        assert f'data-code="{grid}"' in page and f'href="/analysis/{code}/"' in page
    records = AuditRecord.objects.filter(action="analysis_read", username="wang", detail__what="dashboard_warnings")
    assert records.count() == 3 and records.filter(target="419001", rows__gte=1).exists()
    # The layer's data: the warned grid with its sentence.
    layer = client.get("/api/analysis/warnings/419001", {"format": "geojson", "month": f"{THIS_MONTH:%Y-%m}"})
    assert grid in [f["id"] for f in layer.json()["features"]]


def test_outside_the_scope_and_department_accounts_see_no_warnings(surge, client):
    client.force_login(create_user("zhao", "leader", "419001104")[0])
    text = text_of(client, "/")
    assert surge[SURGED] not in text and "expected from its own last 12 months" not in text
    assert "/api/analysis/warnings/419001104" in text  # its own (empty) list and layer
    assert "No early warning this month." in text
    client.force_login(create_user("sfj", "department", "419001", department="419001-SFJ")[0])
    text = text_of(client, "/")
    assert f'data-code="{surge[SURGED]}"' not in text and 'data-panel="warnings"' not in text
    assert "/api/analysis/" not in text
    assert not AuditRecord.objects.filter(username="sfj", detail__what="dashboard_warnings").exists()


def test_a_long_list_is_cut_and_says_how_many_more(surge, client, monkeypatch):
    from analysis import warnings

    found = warnings.current("419001", THIS_MONTH)
    assert found
    monkeypatch.setattr(dashboards, "MAX_ITEMS", 0)
    client.force_login(create_user("wang", "leader", "419001")[0])
    text = text_of(client, "/")
    assert f'data-code="{surge[SURGED]}"' not in text
    assert f"{len(found)} more on the analysis page" in text and 'href="/analysis/419001/"' in text
