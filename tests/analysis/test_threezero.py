"""Three-zero units: which matter broke a unit and when, under the administrator's rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from analysis import threezero
from analysis.models import ThreeZeroRule
from geo.errors import InvalidInput, NotFound
from layers.desk.models import Escalation
from tests.analysis.conftest import EAST_POINT, local, matter
from tests.support.plans import index_columns, scanned_columns


def verdicts(year: int = 2026, ytd: bool = False, scope: str | None = None) -> dict[str, threezero.Unit]:
    return {u.code: u for u in threezero.status("419001", year, ytd=ytd, scope=scope)}


def test_the_first_breaking_matter_is_named(county):
    # A general safety hazard and a petition handled in the village: no rule matches.
    matter("safety_hazard", local(2026, 2, 1))
    petition = matter("petition", local(2026, 3, 1))
    assert all(u.three_zero for u in verdicts().values())
    # The petition goes up to the township: the petition criterion breaks, dated by the matter's report.
    Escalation.objects.create(incident=petition, level="township", holder="承留镇综治中心", at=local(2026, 3, 5))
    later = matter("safety_hazard", local(2026, 6, 1), severity="major", at=EAST_POINT)
    first = matter("safety_hazard", local(2026, 4, 1), severity="major")
    units = verdicts()
    village = units["419001103200"]
    assert not village.three_zero
    assert [(b.criterion, b.incident) for b in village.broken] == [("accident", first.pk), ("petition", petition.pk)]
    assert village.broken[0].reported_at.startswith("2026-04-01")
    assert later.pk not in {b.incident for b in village.broken}
    assert not units["419001103"].three_zero and not units["419001"].three_zero
    assert "petition" in village.sentence() or "越级" in village.sentence()
    assert threezero.per_township(list(units.values())) == {"419001103": {"three_zero": 0, "villages": 1}}
    # Last year: nothing happened, a three-zero village.
    assert verdicts(2025)["419001103200"].three_zero
    # The administrator's rules decide: without the accident rule, only the petition breaks it.
    ThreeZeroRule.objects.filter(criterion="accident").update(active=False)
    assert [b.criterion for b in verdicts()["419001103200"].broken] == ["petition"]


def test_year_to_date_and_the_scope(county):
    matter("dispute", local(2025, 12, 30), subcategory="criminal_case")
    assert not verdicts(2025)["419001103200"].three_zero
    assert verdicts(2025, ytd=True)["419001103200"].until == "2025-12-31"  # a past year's YTD is the year
    with pytest.raises(NotFound):
        threezero.status("419001", 2025, scope="419001104")
    with pytest.raises(InvalidInput):
        threezero.status("419001", 2999)
    assert [u.code for u in threezero.status("419001103", 2025, scope="419001103")] == ["419001103",
                                                                                       "419001103200"]


def test_a_rule_must_name_known_things(db):
    with pytest.raises(ValidationError):
        ThreeZeroRule(criterion="accident", name="x", categories=["no_such_class"]).save()
    with pytest.raises(ValidationError):
        ThreeZeroRule(criterion="accident", name="everything").save()
    ThreeZeroRule(criterion="accident", name="fire", categories=["safety_hazard"], subcategories=["fire"]).save()


def test_the_rules_read_the_class_indexes_alone(county, monkeypatch):
    """Every rule without an escalation condition can be answered from the class or the sub-class index
    alone: each partition's scan reads only columns the index holds, the county condition that prunes
    partitions included (layers migration 0025; without it every match sent the planner to the table)."""
    from geo import sql

    ThreeZeroRule.objects.filter(min_escalation="").exclude(criterion="accident").delete()
    ThreeZeroRule.objects.exclude(min_escalation="").delete()
    ThreeZeroRule.objects.create(criterion="criminal", name="刑事案件", subcategories=["criminal_case"])
    matter("safety_hazard", local(2026, 4, 1), severity="major")
    seen: list[tuple[str, dict]] = []
    monkeypatch.setattr(sql, "rows", lambda text, params=None, **kw: seen.append((text, params)) or [])
    threezero.breaking("419001", dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    (text, params), = seen
    assert "county_code" in text
    by_class, by_subclass = index_columns("incident_class_period"), index_columns("incident_subclass_period")
    scans = scanned_columns(text, params)
    assert len(scans) == 2, scans  # one per rule: the accident rule's class, the criminal rule's sub-class
    for table, columns in scans:
        assert "county_code" in columns and "grid_code" in columns, (table, columns)
        assert columns <= by_class or columns <= by_subclass, (table, columns - by_class, columns - by_subclass)
