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


def test_unknown_api_path_is_a_json_404(client, db):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404


@pytest.mark.parametrize("model", ["area", "boundaryversion", "worker"])
def test_admin_grids_pages_render(admin_client, tree, model):
    assert admin_client.get(f"/admin/grids/{model}/").status_code == 200


@pytest.mark.parametrize("model", ["building", "incident", "place"])
def test_admin_layers_pages_render(admin_client, db, model):
    assert admin_client.get(f"/admin/layers/{model}/").status_code == 200
    assert admin_client.get(f"/admin/layers/{model}/add/").status_code == 200


def test_admin_area_page_has_a_map_widget(admin_client, tree):
    page = admin_client.get(f"/admin/grids/area/{tree['west'].pk}/change/").content.decode()
    assert "MapWidget" in page or "ol.js" in page or "olwidget" in page.lower()


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
