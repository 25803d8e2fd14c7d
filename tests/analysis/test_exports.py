"""The safety index and the three-zero units as export layers and OGC API collections (analysis/exports.py):
a file read back with geopandas says what /api/analysis/… says; scope, department accounts and bad
parameters as everywhere."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pytest

from analysis import threezero
from geo.access import ROLE_PERMISSIONS, Access, create_user
from geo.models import Role
from layers.exports import service
from tests.analysis.conftest import local, matter, weights
from tests.analysis.test_index import TABLE, month_of_matters

ADMIN = Access(user_id=None, username="test", role=Role.ADMINISTRATOR, scope=None,
               permissions=ROLE_PERMISSIONS[Role.ADMINISTRATOR])


@pytest.fixture(autouse=True)
def _fresh():
    from geo import kept

    kept.forget_all()
    yield
    kept.forget_all()


def export(tmp_path, layer: str, fmt: str, params: dict, access: Access = ADMIN) -> gpd.GeoDataFrame:
    path = tmp_path / f"{layer}.{fmt}"
    service.save(service.start(layer, fmt, params, access, rate_limited=False), path)
    return gpd.read_file(path)


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "geojson"])
def test_the_index_file_equals_the_api(county, client, tmp_path, fmt):
    weights(dt.date(2000, 1, 1), TABLE)
    month_of_matters(2026, 3)
    month_of_matters(2026, 4)
    df = export(tmp_path, "safety_index", fmt, {"period": "2026-Q2"})
    assert sorted(zip(df["code"], df["month"], strict=True)) == [
        (c, m) for c in ("419001", "419001103", "419001103200") for m in ("2026-04", "2026-05", "2026-06")]
    client.force_login(create_user("wang", "leader", "419001")[0])
    for row in df.itertuples():
        api = client.get(f"/api/analysis/index/{row.code}?period={row.month}").json()["index"]
        assert (row.name, row.level, row.band, row.version, row.why) == (api["name"], api["level"], api["band"],
                                                                           api["version"], api["why"])
        assert (None if row.score != row.score else row.score) == api["score"]  # NaN: no score
        parts = row.parts if isinstance(row.parts, list) else json.loads(row.parts)
        assert parts == api["parts"]
    april = df[(df["code"] == "419001103200") & (df["month"] == "2026-04")].iloc[0]
    assert april["score"] == pytest.approx(36.0) and april["band"] == "red"
    assert df.geometry.notna().all() and df.crs.to_epsg() == 4326


def test_the_threezero_file_equals_the_api(county, client, tmp_path):
    broke = matter("safety_hazard", local(2025, 5, 2), severity="major")
    df = export(tmp_path, "threezero", "gpkg", {"year": "2025"})
    client.force_login(create_user("wang", "leader", "419001")[0])
    api = {u["code"]: u for u in client.get("/api/analysis/threezero/419001?year=2025").json()["units"]}
    assert sorted(df["code"]) == sorted(api)
    for row in df.itertuples():
        unit = api[row.code]
        assert (bool(row.three_zero), row.sentence, row.period, row.broken) == (
            unit["three_zero"], unit["sentence"], unit["period"], len(unit["broken"]))
        assert json.loads(row.breaks) == unit["broken"]
    village = df[df["code"] == "419001103200"].iloc[0]
    assert village["first_incident"] == broke.pk and village["criteria"] == "accident"
    threezero.forget()
    only = export(tmp_path, "threezero", "gpkg", {"year": "2025", "level": "3"})
    assert list(only["code"]) == ["419001103200"]


def test_ogc_collections_scope_departments_and_bad_parameters(county, client, tmp_path):
    weights(dt.date(2000, 1, 1), TABLE)
    month_of_matters(2026, 3)
    key = create_user("leader-x", "leader", "419001103")[1]
    items = client.get("/ogc/collections/safety_index_villages/items?period=2026-03", HTTP_AUTHORIZATION=f"Token {key}")
    assert items.status_code == 200, items.content[:300]
    [feature] = items.json()["features"]
    assert feature["id"] == "419001103200-2026-03" and feature["properties"]["score"] == pytest.approx(36.0)
    one = client.get("/ogc/collections/safety_index_villages/items/419001103200-2026-03?period=2026-03",
                     HTTP_AUTHORIZATION=f"Token {key}")
    assert one.status_code == 200 and one.json()["properties"]["band"] == "red"
    tz = client.get("/ogc/collections/threezero_villages/items?year=2026", HTTP_AUTHORIZATION=f"Token {key}").json()
    assert [f["properties"]["three_zero"] for f in tz["features"]] == [True]
    bad = client.get("/ogc/collections/safety_index_villages/items?period=2026-13", HTTP_AUTHORIZATION=f"Token {key}")
    assert bad.status_code == 400 and "period" in bad.content.decode()
    future = client.get("/api/export/threezero.geojson?year=2999", HTTP_AUTHORIZATION=f"Token {key}")
    assert future.status_code == 400 and "year" in future.content.decode()
    # A village leader sees the village, not the township.
    village = create_user("leader-v", "leader", "419001103200")[1]
    rows = client.get("/ogc/collections/safety_index_townships/items?period=2026-03",
                      HTTP_AUTHORIZATION=f"Token {village}").json()["features"]
    assert rows == []
    # A department account: no index, no verdict (they count every matter of a unit).
    department = create_user("sfj", "department", "419001", department="419001-SFJ")[1]
    for url in ("/ogc/collections/safety_index_villages/items?period=2026-03",
                "/ogc/collections/threezero_villages/items?year=2026"):
        answer = client.get(url, HTTP_AUTHORIZATION=f"Token {department}")
        assert answer.status_code == 200 and answer.json()["features"] == []
    file = client.get("/api/export/safety_index.geojson?period=2026-03", HTTP_AUTHORIZATION=f"Token {department}")
    assert file.status_code == 200 and json.loads(b"".join(file.streaming_content))["features"] == []
