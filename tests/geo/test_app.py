"""The served app: health check, admin with map widgets, JSON errors, the demo loader."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from grids.models import Area
from layers.models import Building, Incident


def test_healthz_reports_database_postgis_and_gdal(client, db):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"].startswith("PostgreSQL 15")
    assert body["postgis"].startswith("3.")
    assert body["gdal"].startswith("GDAL 3.")


@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/incidents/12/x/y", "/tiles/a/b", "/ogc/nothing",
                                  "/open311/v2/nothing.json"])
def test_unknown_api_path_is_a_json_404(client, db, path):
    """The URL resolver's 404 (no route matched, so no view raised it) in the JSON error shape."""
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": f"no such path: {path}; /api/openapi.json "
                                         "lists the API's paths (and /ogc/api those of OGC API - Features)"}}


def test_unknown_page_is_still_an_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("model", ["area", "boundaryversion", "worker"])
def test_admin_grids_pages_render(admin_client, tree, model):
    assert admin_client.get(f"/admin/grids/{model}/").status_code == 200


@pytest.mark.parametrize("model", ["building", "incident", "place"])
def test_admin_layers_pages_render(admin_client, db, model):
    assert admin_client.get(f"/admin/layers/{model}/").status_code == 200
    assert admin_client.get(f"/admin/layers/{model}/add/").status_code == 200


def test_admin_area_page_has_a_map_widget(admin_client, tree):
    page = admin_client.get("/admin/grids/area/add/").content.decode()
    assert "MapWidget" in page or "ol.js" in page or "olwidget" in page.lower()


def test_admin_cannot_move_or_reshape_an_existing_area(admin_client, tree):
    """Boundary, code, level, parent and validity of an existing area change only through the planner and
    the split/merge API (coverage check, boundary version, reassignment); the admin edits the rest."""
    west = tree["west"]
    url = f"/admin/grids/area/{west.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert f'href="/planner/{west.code}/"' in page and 'name="boundary"' not in page
    before = (west.code, west.level, west.parent_id, west.boundary.wkt, west.valid_to)
    response = admin_client.post(url, {
        "name": "西网格（改名）", "kind": "rural", "code": "419001103200009", "level": 3, "valid_to": "2020-01-01",
        "boundary": "SRID=4326;MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))",
        **{f"versions-{k}-{field}": value for k, version in enumerate(west.versions.order_by("pk"))
           for field, value in (("id", version.pk), ("area", version.area_id))},
        "versions-TOTAL_FORMS": west.versions.count(), "versions-INITIAL_FORMS": west.versions.count(),
        "assignments-TOTAL_FORMS": 0, "assignments-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    west.refresh_from_db()
    assert west.name == "西网格（改名）"
    assert (west.code, west.level, west.parent_id, west.boundary.wkt, west.valid_to) == before
    # Nor delete it: a merge end-dates areas, so incidents keep their grid and the boundary its history.
    assert admin_client.post(f"/admin/grids/area/{west.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Area.objects.filter(pk=west.pk).exists()


def test_load_demo_loads_once_and_refuses_to_double(db):
    call_command("load_demo", "--scenario", "mini", "--incidents", "20")
    counts = (Area.objects.count(), Building.objects.count(), Incident.objects.count())
    assert counts[2] == 20
    assert Incident.objects.filter(grid__isnull=True).count() == 0
    with pytest.raises(CommandError, match="use --replace"):
        call_command("load_demo", "--scenario", "mini", "--incidents", "20")
    call_command("load_demo", "--scenario", "mini", "--incidents", "20", "--if-empty")
    call_command("load_demo", "--scenario", "mini", "--incidents", "20", "--replace")
    assert (Area.objects.count(), Building.objects.count(), Incident.objects.count()) == counts
