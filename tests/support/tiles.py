"""Tiles in tests: a small county of two townships, an administrator's token, incidents made at a
point, and tiles fetched and decoded with mapbox-vector-tile. Folders that use the fixtures import
them in their conftest.py."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from geo.access import clear_token_cache, create_user
from grids.models import Area
from layers.models import Incident
from tests.support.areas import box
from tiles import versions

EXTENT = 4096


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def pixel_of(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Position inside its tile, in tile units, y down (as MVT stores it)."""
    n = 2 ** z
    fx = (lon + 180) / 360 * n
    fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return (fx - int(fx)) * EXTENT, (fy - int(fy)) * EXTENT


@pytest.fixture
def instant_versions(monkeypatch):
    # Poll on every request, so a test sees a write at once (production polls every 0.25 s).
    monkeypatch.setattr(versions, "POLL_SECONDS", 0.0)
    clear_token_cache()


@pytest.fixture
def county(tree):
    other = Area.objects.create(code="419001104", name="邵原镇", level=2, parent=tree["county"],
                                boundary=box(112.6, 35.0, 112.7, 35.1))
    village = Area.objects.create(code="419001104200", name="邵原村", level=3, parent=other,
                                  boundary=box(112.6, 35.0, 112.7, 35.1))
    Area.objects.create(code="419001104200001", name="邵原网格", level=4, kind="rural", parent=village,
                        boundary=box(112.6, 35.0, 112.7, 35.1))
    tree["county"].replace_boundary(box(112.4, 35.0, 112.7, 35.1), reason="test extent")
    return tree


@pytest.fixture
def admin_key(db) -> str:
    return create_user("tile-admin", "administrator", "")[1]


def make(lon, lat, **extra) -> Incident:
    values = {"category": "dispute", "source": "grid_discovery", "severity": "general"} | extra
    if values.get("status") == "closed":  # the loop's invariant: a closed incident has its closing time
        values.setdefault("closed_at", values.get("reported_at") or timezone.now())
    return Incident.objects.create(location=Point(lon, lat, srid=4326), **values)


def get(client, key, layers, z, x, y, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"/tiles/{layers}/{z}/{x}/{y}.pbf" + (f"?{query}" if query else ""),
                      HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_ENCODING="identity")


def decode(response, y_down: bool = True) -> dict:
    """Decode a tile; y_down keeps MVT's own axis (pixel checks), False gives geographic winding
    (the decoder tells exterior rings from holes by winding, so polygon checks need it)."""
    assert response.status_code in (200, 204), response.content[:200]
    if response.status_code == 204:
        return {}
    return mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": y_down})


def features(client, key, layer, z, lon, lat, y_down: bool = True, **params) -> list[dict]:
    x, y = tile_of(lon, lat, z)
    return decode(get(client, key, layer, z, x, y, **params), y_down).get(layer, {}).get("features", [])


