"""The figures' tests read every reader (tiles included): the tiles' county and administrator."""

import pytest

from tests.support.tiles import admin_key, county, instant_versions  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_versions(instant_versions):  # noqa: F811
    """Poll the tile versions on every request, so a test sees a write at once."""
