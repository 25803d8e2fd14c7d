"""The safety index's choropleth tile layer: the month's score and band per township / village, in scope."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import index
from geo.access import create_user
from tests.analysis.conftest import WEST_POINT, weights
from tests.analysis.test_index import TABLE, month_of_matters
from tests.support.tiles import features, instant_versions  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _fresh():
    index.forget()
    yield
    index.forget()


def test_the_choropleth_carries_the_months_score_and_band(county, client, instant_versions):  # noqa: F811
    weights(dt.date(2000, 1, 1), TABLE)
    month_of_matters(2026, 3)
    key = create_user("map-admin", "administrator", "")[1]
    [village] = features(client, key, "safety_index", 10, *WEST_POINT, since="2026-03-01", until="2026-03-31")
    assert village["properties"]["code"] == "419001103200"
    assert village["properties"]["score"] == pytest.approx(36.0)
    assert village["properties"]["band"] == "red" and village["properties"]["month"] == "2026-03"
    [township] = features(client, key, "safety_index", 8, *WEST_POINT, until="2026-03-31")
    assert township["properties"]["code"] == "419001103" and township["properties"]["score"] == pytest.approx(36.0)
    outsider = create_user("other-town", "leader", "419001104")[1]
    assert features(client, outsider, "safety_index", 10, *WEST_POINT, until="2026-03-31") == []
    # A department account sees its dispatched matters only: the index, which counts them all, is empty.
    department = create_user("sfj", "department", "419001", department="419001-SFJ")[1]
    assert features(client, department, "safety_index", 10, *WEST_POINT, until="2026-03-31") == []
