"""load_demo as a command: arguments, refusing to load twice, replacing cleanly, determinism, and the
full-scale plans of every preset against the numbers their articles quote."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from fixtures.scenarios import COMMITTED_DIR, SCENARIO_IDS, get_preset, plan, scenarios_dir
from grids.models import Area
from layers.models import Building, Incident, IncidentEvent, Room

TINY = ["--scenario", "yumen", "--scale", "0.03", "--incidents", "400", "--as-of", "2025-06-30", "--no-progress"]


def load(*extra: str) -> None:
    call_command("load_demo", *TINY, *extra, verbosity=0)


def fingerprint() -> str:
    """A hash of everything generated: codes, boundaries, addresses, coordinates, incidents, events."""
    queries = [
        "SELECT code, name, kind, parent_code, ST_AsBinary(boundary) FROM grids_area ORDER BY code",
        "SELECT address_code, name, street, use, floors, ST_AsBinary(location), grid_code FROM layers_building "
        "ORDER BY address_code",
        "SELECT address_code, households, residents FROM layers_room ORDER BY address_code",
        "SELECT code, kind, name, ST_AsBinary(location) FROM layers_place ORDER BY code",
        "SELECT employee_no, name, role FROM grids_worker ORDER BY employee_no",
        "SELECT id, ST_AsBinary(location), category, subcategory, severity, source, status, reported_at, closed_at, "
        "due_at, grid_code, dedicated_code, satisfaction FROM layers_incident ORDER BY id",
        "SELECT incident_id, action, at, actor FROM layers_incidentevent ORDER BY id",
    ]
    digest = hashlib.sha256()
    with connection.cursor() as cur:
        for query in queries:
            cur.execute(query)
            for row in cur.fetchall():
                digest.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode())
    return digest.hexdigest()


def counts() -> tuple[int, ...]:
    return (Area.objects.count(), Building.objects.count(), Room.objects.count(), Incident.objects.count(),
            IncidentEvent.objects.count())


@pytest.mark.django_db
def test_loading_twice_is_refused_and_replace_is_clean():
    load()
    first = counts()
    assert first[3] == 400
    with pytest.raises(CommandError, match="use --replace"):
        load()
    load("--if-empty")
    assert counts() == first
    load("--replace")
    assert counts() == first
    # Rows the ORM writes after a bulk load get fresh ids (the sequences were moved past the loaded ids).
    incident = Incident.objects.order_by("-id").first()
    again = Incident.objects.create(location=incident.location, category="dispute", source="walk_in")
    assert again.id > incident.id and again.grid_id == incident.grid_id


@pytest.mark.django_db
def test_same_seed_same_data_other_seed_other_data():
    load("--seed", "7")
    first = fingerprint()
    load("--seed", "7", "--replace")
    assert fingerprint() == first
    load("--seed", "8", "--replace")
    assert fingerprint() != first


@pytest.mark.django_db
def test_the_mini_county_and_a_preset_load_side_by_side_and_replace_each_alone():
    call_command("load_demo", "--scenario", "mini", "--incidents", "5", verbosity=0)
    load()
    assert sorted(Area.objects.filter(level=1).values_list("code", flat=True)) == ["419001", "620981"]
    mini_incidents = Incident.objects.within("419001").count()
    call_command("load_demo", "--scenario", "mini", "--incidents", "5", "--replace", verbosity=0)
    assert Incident.objects.within("620981").count() == 400
    assert Incident.objects.within("419001").count() == mini_incidents == 5
    # The preset sits under its city and province; the mini county stays a root of its own.
    assert Area.objects.get(code="620981").parent_id == "6209"
    assert Area.objects.get(code="419001").parent_id is None


@pytest.mark.parametrize("args, message", [
    (["--scenario", "atlantis"], "unknown scenario 'atlantis'; choose one of: mini, jiyuan"),
    (["--scenario", "jiyuan", "--incidents", "-1"], "--incidents must be 0 or more"),
    (["--scenario", "jiyuan", "--scale", "0"], "--scale must be greater than 0"),
    (["--scenario", "jiyuan", "--scale", "-0.5"], "--scale must be greater than 0"),
    (["--scenario", "jiyuan", "--years", "0"], "--years must be greater than 0"),
    (["--scenario", "jiyuan", "--as-of", "30/06/2025"], "--as-of must be a date like"),
])
@pytest.mark.django_db
def test_bad_arguments_are_refused_with_a_message(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command("load_demo", *args, verbosity=0)
    assert not Area.objects.exists()


@pytest.mark.django_db
def test_a_scale_the_codes_cannot_hold_is_refused():
    # 济源 at 100× would need more than 899 grids in some village: the codes cannot hold it.
    with pytest.raises(CommandError, match="smaller scale"):
        call_command("load_demo", "--scenario", "jiyuan", "--scale", "100", "--incidents", "0", verbosity=0)
    assert not Area.objects.exists()


def test_full_scale_plans_match_the_articles():
    jiyuan = plan(get_preset("jiyuan"), 1.0)
    facts = get_preset("jiyuan").facts
    assert (jiyuan.urban_grids, jiyuan.rural_grids, jiyuan.dedicated_grids) == (324, 1238, 1134)
    assert jiyuan.grids == facts["grids_total"] == 2696
    assert jiyuan.workers == 3000 and jiyuan.cameras == 6000 and jiyuan.townships == 16
    jingyang = plan(get_preset("jingyang"), 1.0)
    assert (jingyang.buildings, jingyang.rooms, jingyang.urban_grids) == (122_000, 327_000, 331)
    yumen = plan(get_preset("yumen"), 1.0)
    assert yumen.townships + yumen.communities + yumen.villages + yumen.basic_grids == 544  # three levels
    assert yumen.workers == 1807
    yanzhou = plan(get_preset("yanzhou"), 1.0)
    assert (yanzhou.townships, yanzhou.communities + yanzhou.villages, yanzhou.basic_grids) == (10, 440, 930)
    longxi = plan(get_preset("longxi"), 1.0)
    assert (longxi.communities, longxi.urban_grids, longxi.basic_grids) == (11, 301, 1922)
    assert longxi.communities + longxi.villages == 226
    # Buildings and rooms follow population everywhere (旌阳's rates).
    for scenario in SCENARIO_IDS:
        p = plan(get_preset(scenario), 1.0)
        assert p.buildings / p.population == pytest.approx(122_000 / 627_000, rel=1e-3)
        assert p.rooms / p.population == pytest.approx(327_000 / 627_000, rel=1e-3)


def test_committed_scenario_files_match_the_shared_ones():
    """fixtures/scenarios/ is the fallback copy for clones without ../shared; it must not drift."""
    if scenarios_dir() == COMMITTED_DIR:
        pytest.skip("no shared scenarios beside this checkout")
    for scenario in SCENARIO_IDS:
        shared = json.loads((scenarios_dir() / f"{scenario}.json").read_text(encoding="utf-8"))
        committed = json.loads((COMMITTED_DIR / f"{scenario}.json").read_text(encoding="utf-8"))
        assert shared == committed, scenario
