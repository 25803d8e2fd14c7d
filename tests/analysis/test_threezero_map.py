"""Three-zero units on the map (issue 20): the tile layer per year, the panel on the panorama and the
drill-downs (count per township, the units broken with the matter that broke them, the overlay), scoped,
and nothing for a department account."""

from __future__ import annotations

import pytest
from django.utils import timezone

from analysis import dashboards, threezero
from geo.access import create_user
from geo.models import AuditRecord
from grids.models import Area
from tests.analysis.conftest import WEST_POINT, local, matter
from tests.support.areas import box
from tests.support.tiles import features, instant_versions  # noqa: F401  (fixture)

YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def _fresh():
    threezero.forget()
    dashboards.clear()
    yield
    threezero.forget()


def test_the_tile_layer_colours_units_per_year(county, client, instant_versions):  # noqa: F811
    broke = matter("safety_hazard", local(2025, 5, 2), severity="major")
    key = create_user("map-admin", "administrator", "")[1]
    [village] = features(client, key, "threezero", 10, *WEST_POINT, until="2025-12-31")
    props = village["properties"]
    assert props["code"] == "419001103200" and props["three_zero"] is False and props["broken"] == 1
    assert props["first_incident"] == broke.pk and props["first_at"].startswith("2025-05-02")
    assert props["period"] == "2025"
    [township] = features(client, key, "threezero", 8, *WEST_POINT, until="2025-12-31")
    assert township["properties"]["code"] == "419001103" and township["properties"]["three_zero"] is False
    # Another year: nothing broke it (this year's is the year to date).
    threezero.forget()
    [now] = features(client, key, "threezero", 10, *WEST_POINT)
    assert now["properties"]["three_zero"] is True and now["properties"]["period"] == f"{YEAR} YTD"
    Area.objects.create(code="419001104", name="坡头镇", level=2, parent_id="419001",
                        boundary=box(113.0, 35.0, 113.1, 35.1))
    outsider = create_user("other-town", "leader", "419001104")[1]
    assert features(client, outsider, "threezero", 10, *WEST_POINT, until="2025-12-31") == []
    department = create_user("sfj", "department", "419001", department="419001-SFJ")[1]
    assert features(client, department, "threezero", 10, *WEST_POINT, until="2025-12-31") == []


def test_the_panel_counts_per_township_and_names_the_breaking_matter(county, client):
    broke = matter("dispute", local(YEAR, 1, 3, 1), subcategory="criminal_case")
    client.force_login(create_user("wang", "leader", "419001")[0])
    text = client.get("/").content.decode()
    assert 'data-panel="threezero"' in text
    assert f'href="/api/incidents/{broke.pk}"' in text  # the list links the matter that broke the village
    assert "0 / 1" in text  # the county's count per township (and in all): no three-zero village
    # The overlay: off until chosen, the analysis route's GeoJSON with a colour per village.
    assert "gridmap.remoteLayer(" in text and "/api/analysis/threezero/419001?format=geojson" in text
    layer = client.get(f"/api/analysis/threezero/419001?format=geojson&year={YEAR}&ytd=1").json()
    [feature] = layer["features"]
    assert feature["properties"]["colour"] == "#9e9e9e" and feature["properties"]["sentences"]
    township = client.get("/dashboards/township/419001103/").content.decode()
    assert 'data-panel="threezero"' in township and f"/api/incidents/{broke.pk}" in township
    assert AuditRecord.objects.filter(action="analysis_read", username="wang",
                                      detail__what="dashboard_threezero").count() == 2
    # The analysis page lists the broken villages with their matters, and the count per township by name.
    page = client.get("/analysis/419001/").content.decode()
    assert f'href="/api/incidents/{broke.pk}"' in page and '<tr data-code="419001103"><td>承留镇</td><td>0 / 1' in page


def test_a_department_account_gets_no_panel(county, client):
    matter("dispute", local(YEAR, 1, 3, 1), subcategory="criminal_case")
    client.force_login(create_user("sfj", "department", "419001", department="419001-SFJ")[0])
    text = client.get("/").content.decode()
    assert 'data-panel="threezero"' not in text and "/api/analysis/threezero/" not in text
