"""What the tests that serve the app with gunicorn share: a free loopback port, and a small county
committed for that other process to read (emptied afterwards with areas.reset_committed_data)."""

from __future__ import annotations

import socket

from grids.models import Area
from tests.support.areas import box


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def small_county() -> Area:
    """County 419001 ⊃ township 419001103 ⊃ village 419001103200 ⊃ grids …001 (west) and …002 (east),
    over 112.4-112.6 E, 35.0-35.1 N; returns the village."""
    county = Area.objects.create(code="419001", name="济源示范区", level=1, boundary=box(112.4, 35.0, 112.6, 35.1))
    township = Area.objects.create(code="419001103", name="承留镇", level=2, parent=county,
                                   boundary=box(112.4, 35.0, 112.6, 35.1))
    village = Area.objects.create(code="419001103200", name="承留村", level=3, parent=township,
                                  boundary=box(112.4, 35.0, 112.6, 35.1))
    for seq, (west, east) in enumerate(((112.4, 112.5), (112.5, 112.6)), start=1):
        Area.objects.create(code=f"419001103200{seq:03d}", name=f"网格{seq}", level=4, kind="rural",
                            parent=village, boundary=box(west, 35.0, east, 35.1))
    return village
