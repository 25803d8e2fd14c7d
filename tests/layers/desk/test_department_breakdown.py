"""/api/stats/<code>?by=department: each department's line of /api/stats/departments for the period, with
the same lines of the previous period and a year before and the change."""

from __future__ import annotations

from tests.layers.desk.test_departments import accepted, dispatch


def test_the_department_breakdown_is_the_department_ranking_with_its_comparisons(desk):
    for _ in range(2):
        dispatch(desk, accepted(), co=())
    dispatch(desk, accepted(), lead="419001-ZJJ", co=())
    body = desk.get("op", "/api/stats/419001", {"by": "department"}).json()
    lines = body["by"]["department"]
    ranking = desk.get("op", "/api/stats/departments", {"area": "419001"}).json()["departments"]
    assert [{k: v for k, v in line.items() if k != "compare"} for line in lines] == ranking
    sfj = next(line for line in lines if line["code"] == "419001-SFJ")
    assert sfj["received"] == 2
    for kind in ("previous", "year_before"):
        # Dispatched today: in neither earlier period.
        assert sfj["compare"][kind]["figures"]["received"] == 0
        assert sfj["compare"][kind]["change"]["received"] == {"delta": 2, "ratio": None}
    # A department account sees its own line only, as in /api/stats/departments.
    own = desk.get("sfj", "/api/stats/419001", {"by": "department"}).json()["by"]["department"]
    assert [line["code"] for line in own] == ["419001-SFJ"]
