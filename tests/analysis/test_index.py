"""The safety index equals its formula computed by hand, keeps last year's weights, and rolls up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from analysis import index
from analysis.models import Weight, WeightVersion
from geo.errors import InvalidInput, NotFound
from layers.desk.models import Mediation, Supervision
from layers.models import Building, Room
from people.models import Residence
from tests.analysis.conftest import local, matter, weights

MARCH, APRIL, MAY = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)
TABLE = {"rate_dispute": (2.0, 0.0, 10.0), "closure_rate": (1.0, 1.0, 0.0), "overdue_share": (1.0, 0.0, 0.5),
         "mediation_success": (1.0, 1.0, 0.0), "on_time_rate": (0.0, 1.0, 0.0)}


def month_of_matters(y: int, m: int) -> None:
    """Three disputes and a petition reported in the month: A closed on time, B closed late, C open past
    its due time at the month's end, D open and not yet due; A's mediation agreed, C's failed."""
    a = matter("dispute", local(y, m, 5), due=local(y, m, 10), closed=local(y, m, 8))
    matter("dispute", local(y, m, 6), due=local(y, m, 9), closed=local(y, m, 12))
    c = matter("dispute", local(y, m, 10), due=local(y, m, 20))
    matter("petition", local(y, m, 15), due=local(y, m, 15) + dt.timedelta(days=60))
    Mediation.objects.create(incident=a, route="people", body="承留村调委会", outcome="agreement",
                             agreement_date=dt.date(y, m, 8))
    Mediation.objects.create(incident=c, route="people", body="承留村调委会", outcome="failed")


def test_index_equals_its_formula_by_hand(county):
    weights(dt.date(2000, 1, 1), TABLE)
    month_of_matters(2026, 3)
    [score] = index.scores("419001103200", [MARCH])
    # By hand, March's cohort as of April 1: intake 4, closed 2 (A, B), on time 1, overdue 2 (B late, C
    # open past due); 3 disputes per 500 residents = 6 per 1,000; mediations 1 agreed of 2.
    #   rate_dispute  s = 100 (10 − 6) / 10 = 40, weight 2
    #   closure_rate  s = 100 (0 − 0.5) / (0 − 1) = 50
    #   overdue_share s = 100 (0.5 − 0.5) / 0.5 = 0
    #   mediation     s = 50;   on_time_rate weight 0: left out
    #   score = (2·40 + 50 + 0 + 50) / 5 = 36 → red
    assert score.score == pytest.approx(36.0)
    assert score.band == "red"
    parts = {p.key: p for p in score.parts}
    assert set(parts) == {"rate_dispute", "closure_rate", "overdue_share", "mediation_success"}
    assert parts["rate_dispute"].value == pytest.approx(6.0)
    assert parts["overdue_share"].value == pytest.approx(0.5)
    assert parts["rate_dispute"].points == pytest.approx(16.0)
    assert parts["overdue_share"].lost == pytest.approx(20.0)
    assert sum(p.points for p in score.parts) == pytest.approx(score.score)
    body = score.as_dict()
    assert body["score"] == 36.0
    assert "rate_dispute" not in body["why"] and "disputes" in body["why"]
    # The township and the county hold only this village: the same parts, the same score.
    county_score = index.scores("419001", [MARCH])[0]
    assert county_score.score == pytest.approx(36.0)
    assert index.compute("419001", [MARCH])[("419001103", MARCH)].score == pytest.approx(36.0)


def test_a_new_weight_version_changes_only_the_months_from_it_on(county):
    weights(dt.date(2000, 1, 1), TABLE)
    for m in (3, 4, 5):
        month_of_matters(2026, m)
    before = {s.period: s.score for s in index.scores("419001103", [MARCH, APRIL, MAY])}
    assert before == {"2026-03": pytest.approx(36.0), "2026-04": pytest.approx(36.0), "2026-05": pytest.approx(36.0)}
    weights(APRIL, {**TABLE, "rate_dispute": (1.0, 0.0, 10.0)})  # the dispute rate weighs half from April
    after = {s.period: s for s in index.scores("419001103", [MARCH, APRIL, MAY])}
    assert after["2026-03"].score == pytest.approx(36.0)  # March keeps March's weights
    assert after["2026-03"].version == "2000-01"
    # From April: (40 + 50 + 0 + 50) / 4 = 35
    assert after["2026-04"].score == pytest.approx(35.0) and after["2026-05"].score == pytest.approx(35.0)
    assert after["2026-04"].version == "2026-04"
    # A quarter is the mean of its months: Q2 is April 35, May 35 and June 100 (no matter: only the dispute
    # rate has a value, 0 per 1,000).
    quarter = index.period_score("419001103", "2026-Q2")
    assert quarter.score == pytest.approx((35 + 35 + 100) / 3)
    assert index.rollup(list(after.values()), "x").score == pytest.approx((36 + 35 + 35) / 3)
    assert sum(p.points for p in quarter.parts) == pytest.approx(quarter.score)


def test_weights_in_force_are_history(county):
    old = weights(dt.date(2000, 1, 1), TABLE)
    old.note = "rewritten"
    with pytest.raises(ValidationError):
        old.save()
    with pytest.raises(ValidationError):
        Weight(version=old, input="rate_petition", weight=1, good=0, bad=1).save()
    with pytest.raises(ValidationError):
        old.delete()
    with pytest.raises(ValidationError):  # a new version may not reach back into ended months
        WeightVersion(valid_from=dt.date(2020, 1, 1)).save()
    future = WeightVersion(valid_from=dt.date(2099, 1, 1))
    future.save()
    with pytest.raises(ValidationError):  # an unknown input is named
        Weight(version=future, input="no_such_input", weight=1, good=0, bad=1).save()
    with pytest.raises(ValidationError):
        WeightVersion(valid_from=dt.date(2099, 2, 3)).save()


def test_no_input_no_index_and_defined_inputs_only(county):
    weights(dt.date(2000, 1, 1), TABLE)
    [empty] = index.scores("419001103200", [MARCH])
    # No matter: the dispute rate is 0 per 1,000 (a perfect 100); closure, overdue, mediation undefined.
    assert empty.score == pytest.approx(100.0)
    assert {p.key for p in empty.parts if p.value is not None} == {"rate_dispute"}


def test_ranking_supervised_share_and_bad_input(county):
    weights(dt.date(2000, 1, 1), {"supervised_share": (1.0, 0.0, 1.0)})
    a = matter("dispute", local(2026, 3, 5))
    matter("dispute", local(2026, 3, 6))
    Supervision.objects.create(incident=a, kind="supervised", reason="重点", opened_at=local(2026, 3, 7))
    [score] = index.scores("419001103200", [MARCH])
    assert score.score == pytest.approx(50.0)  # 1 supervised of 2
    ranked = index.ranking("419001", "2026-03")
    assert [(s.rank, s.code) for s in ranked] == [(1, "419001103")]
    with pytest.raises(InvalidInput):
        index.months_of("2026-13")
    with pytest.raises(InvalidInput):
        index.months_of("2999")
    with pytest.raises(InvalidInput):
        index.scores("419001103200001", [MARCH])  # a grid has no index
    with pytest.raises(NotFound):
        index.scores("419001", [MARCH], scope="419001103")  # outside the caller's scope


def test_residents_are_the_people_rollups_population(county):
    """The index's residents are the people registered in the village (people_unitcount's population), not
    the rooms' `residents` column: a room whose register says 999 residents but houses nobody adds none."""
    from analysis.inputs import residents
    from people.counts import raw_counts

    village = "419001103200"
    assert residents("419001") == {village: 500} == {village: raw_counts([village])[village]["population"]}
    building = Building.objects.get(address_code="41900110320000001")
    Room.objects.create(building=building, number="003", residents=999,
                        address_code=Room.make_code(building.address_code, 1, 1, 3))
    assert residents("419001") == {village: 500}
    Residence.objects.filter(room__number="001").update(moved_out=dt.date(2024, 1, 1))
    assert residents("419001") == {village: 250}
