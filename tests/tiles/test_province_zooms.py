"""Tiles at a province's and a city's zooms (z ≤ 7: counties; z8-9: townships; z10-11: villages) over two
counties of one province (issue 21): every count a low-zoom tile draws equals the figure counted directly
in SQL from the incidents with the definitions (the open matters' overdue part now comes from
layers_openrollup), the incidents and workload layers of one tile (sharing their counts) draw what each
draws alone, the rollup kept by the triggers equals its recount, and a county user's province-zoom tile
shows nothing of the other county.

The tree: province 41 → city 4190 → counties 419001 (west) and 419002 (east), each with one township,
village and basic grid filling it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from geo.access import create_user
from grids.models import Area
from layers.figures.counts import Selection, by_area
from layers.models import Incident
from tests.support.areas import box
from tests.support.tiles import decode, features, get, make, tile_of

pytestmark = pytest.mark.django_db

WEST_COUNTY, EAST_COUNTY = "419001", "419002"
LAT = 35.05
# Each county's centre; at z5-8 both lie in one tile, at z9 each in its own.
CENTRES = {WEST_COUNTY: 112.65, EAST_COUNTY: 113.45}


@pytest.fixture
def province(db) -> dict[str, Area]:
    top = Area.objects.create(code="41", name="河南省", level=-1, boundary=box(112.6, 35.0, 113.5, 35.1))
    city = Area.objects.create(code="4190", name="省直辖", level=0, parent=top, boundary=box(112.6, 35.0, 113.5, 35.1))
    made = {"41": top, "4190": city}
    for county, west in ((WEST_COUNTY, 112.6), (EAST_COUNTY, 113.4)):
        shape = box(west, 35.0, west + 0.1, 35.1)
        c = Area.objects.create(code=county, name=f"县{county}", level=1, parent=city, boundary=shape)
        t = Area.objects.create(code=county + "103", name=f"镇{county}", level=2, parent=c, boundary=shape)
        v = Area.objects.create(code=county + "103200", name=f"村{county}", level=3, parent=t, boundary=shape)
        Area.objects.create(code=county + "103200001", name=f"网格{county}", level=4, kind="rural", parent=v,
                            boundary=shape)
        made[county] = c
    return made


@pytest.fixture
def admin_key(db) -> str:
    return create_user("province-admin", "administrator", "")[1]


def month_start(moment: dt.datetime) -> dt.datetime:
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def matters(county: str, k: int) -> None:
    """Every kind of matter the live figures tell apart, k of some of them (so the counties differ)."""
    lon = CENTRES[county]
    now = timezone.now()
    this_month = month_start(now)
    for n in range(k):  # open, due in an earlier month: overdue (the rollup's part)
        make(lon, LAT, status="in_progress", reported_at=now - dt.timedelta(days=70 + n),
             due_at=this_month - dt.timedelta(days=3 + n), accepted_at=now - dt.timedelta(days=69))
    # open, due this month before now: overdue (the rows' part; in the last month on the 1st of a month)
    make(lon, LAT, status="in_progress", category="petition", due_at=now - dt.timedelta(minutes=30),
         reported_at=now - dt.timedelta(days=1), accepted_at=now - dt.timedelta(hours=20))
    # open, due within 24 hours: due soon, not overdue
    make(lon, LAT, status="accepted", due_at=now + dt.timedelta(hours=3), reported_at=now - dt.timedelta(hours=5),
         accepted_at=now - dt.timedelta(hours=4))
    # open, due in three days, not accepted though its acceptance limit has passed: acceptance overdue
    make(lon, LAT, status="reported", due_at=now + dt.timedelta(days=3), reported_at=now - dt.timedelta(hours=6),
         accept_due_at=now - dt.timedelta(hours=1))
    # open, no due time
    make(lon, LAT, status="reported", reported_at=now - dt.timedelta(days=40))
    # closed late, and closed on time
    make(lon, LAT, status="closed", reported_at=now - dt.timedelta(days=10), due_at=now - dt.timedelta(days=8),
         closed_at=now - dt.timedelta(days=5))
    make(lon, LAT, status="closed", category="petition", reported_at=now - dt.timedelta(days=10),
         due_at=now - dt.timedelta(days=2), closed_at=now - dt.timedelta(days=5))


@pytest.fixture
def loaded(province):
    matters(WEST_COUNTY, 2)
    matters(EAST_COUNTY, 5)
    return province


def counted(length: int, where: str = "", params: list | None = None) -> dict[str, dict[str, int]]:
    """The figures per area of a code length, counted from the incidents' rows with the definitions, now."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT left(grid_code, {length}), count(*), count(*) FILTER (WHERE figures_closed(closed_at, now())),
                   count(*) FILTER (WHERE figures_overdue(closed_at, due_at, now())),
                   count(*) FILTER (WHERE figures_accept_overdue(accepted_at, accept_due_at, closed_at, now())),
                   count(*) FILTER (WHERE figures_due_soon(closed_at, due_at, now()))
            FROM layers_incident WHERE true {where} GROUP BY 1""", params or [])
        return {code: {"count": n, "closed": closed, "overdue": overdue, "accept_overdue": accept,
                       "due_soon": soon}
                for code, n, closed, overdue, accept, soon in cursor.fetchall()}


def drawn(client, key: str, layer: str, z: int, lon: float, **params) -> dict[str, dict[str, int]]:
    keys = ("count", "closed", "overdue", "accept_overdue", "due_soon")
    return {f["properties"]["code"]: {k: f["properties"].get(k if k != "count" or layer == "incidents" else "intake")
                                      for k in keys}
            for f in features(client, key, layer, z, lon, LAT, **params)}


def test_province_zoom_counts_per_county_equal_the_figures_counted_directly(client, loaded, admin_key):
    expected = counted(6)
    assert expected[WEST_COUNTY]["overdue"] != expected[EAST_COUNTY]["overdue"]
    assert all(v["overdue"] and v["accept_overdue"] and v["due_soon"] for v in expected.values())
    # z5: one tile holds both counties.
    assert tile_of(CENTRES[WEST_COUNTY], LAT, 5) == tile_of(CENTRES[EAST_COUNTY], LAT, 5)
    for z in (5, 6, 7):  # a province's and a city's zooms: counted per county
        assert drawn(client, admin_key, "incidents", z, CENTRES[WEST_COUNTY]) == expected, z
        assert drawn(client, admin_key, "workload", z, CENTRES[WEST_COUNTY]) == expected, z
    # The rollup's part is really read: the open matters due in an earlier month are in layers_openrollup.
    with connection.cursor() as cursor:
        cursor.execute("SELECT area_code, sum(n) FROM layers_openrollup WHERE level = 1 AND due_month < %s "
                       "GROUP BY 1", [month_start(timezone.now()).date()])
        assert dict(cursor.fetchall()) == {WEST_COUNTY: 2, EAST_COUNTY: 5}
        # … and what the figures add up (a changed rollup row changes the count; the recount puts it back).
        cursor.execute("UPDATE layers_openrollup SET n = n + 100 WHERE area_code = %s AND due_month < %s",
                       [WEST_COUNTY, month_start(timezone.now()).date()])
        assert by_area(Selection(), 1)[WEST_COUNTY].overdue == expected[WEST_COUNTY]["overdue"] + 100
        cursor.execute("SELECT figures_open_rebuild()")
        assert by_area(Selection(), 1)[WEST_COUNTY].overdue == expected[WEST_COUNTY]["overdue"]


def test_township_zoom_counts_equal_the_figures_counted_directly(client, loaded, admin_key):
    expected = counted(9)
    assert set(expected) == {WEST_COUNTY + "103", EAST_COUNTY + "103"}
    for z in (8, 9):
        got = {}
        for lon in CENTRES.values():
            got |= drawn(client, admin_key, "incidents", z, lon)
        assert got == expected, z


def test_village_zoom_counts_equal_the_figures_counted_directly(client, loaded, admin_key):
    """z10-11 count per village, the open matters' overdue from the villages' rows of layers_openrollup."""
    expected = counted(12)
    assert set(expected) == {WEST_COUNTY + "103200", EAST_COUNTY + "103200"}
    for z in (10, 11):
        for layer in ("incidents", "workload"):
            got = {}
            for lon in CENTRES.values():
                got |= drawn(client, admin_key, layer, z, lon)
            assert got == expected, (layer, z)
    with connection.cursor() as cursor:
        cursor.execute("SELECT area_code, sum(n) FROM layers_openrollup WHERE level = 3 AND due_month < %s "
                       "GROUP BY 1", [month_start(timezone.now()).date()])
        assert dict(cursor.fetchall()) == {WEST_COUNTY + "103200": 2, EAST_COUNTY + "103200": 5}


@pytest.mark.parametrize("z", [5, 8, 10, 12])
def test_one_tile_of_both_count_layers_draws_what_each_draws_alone(client, loaded, admin_key, z):
    """The incidents and workload layers of one tile share their counts (registry.count_ctes): together
    they draw the figures each draws alone, and those counted directly."""
    x, y = tile_of(CENTRES[WEST_COUNTY], LAT, z)
    both = decode(get(client, admin_key, "grids,incidents,workload", z, x, y))
    length = {5: 6, 8: 9, 10: 12, 12: 15}[z]
    expected = {code: v for code, v in counted(length).items() if code.startswith(WEST_COUNTY)}
    for layer in ("incidents", "workload"):
        alone = decode(get(client, admin_key, layer, z, x, y))[layer]["features"]
        assert sorted(map(str, both[layer]["features"])) == sorted(map(str, alone)), (layer, z)
    drawn_both = {f["properties"]["code"]: f["properties"] for f in both["incidents"]["features"]}
    assert {code: drawn_both[code]["count"] for code in expected} == {c: v["count"] for c, v in expected.items()}
    assert {code: drawn_both[code]["overdue"] for code in expected} == {c: v["overdue"] for c, v in expected.items()}


@pytest.mark.parametrize("params", [{"class": "petition"}, {"since": "2000-01-01"},
                                    {"since": "2000-01-01", "class": "dispute"}])
def test_filtered_province_zoom_counts_equal_the_figures_counted_directly(client, loaded, admin_key, params):
    where, values = "", []
    if "class" in params:
        where, values = " AND category = %s", [params["class"]]
    expected = counted(6, where, values)
    assert drawn(client, admin_key, "incidents", 5, CENTRES[WEST_COUNTY], **params) == expected


def test_the_open_rollup_kept_by_triggers_equals_its_recount(loaded):
    some = Incident.objects.filter(grid__code__startswith=EAST_COUNTY, closed_at__isnull=True).order_by("id")
    first, second = list(some[:2])
    Incident.objects.filter(pk=first.pk).update(status="closed", closed_at=timezone.now())  # leaves the open
    Incident.objects.filter(pk=second.pk).update(due_at=timezone.now() + dt.timedelta(days=40))  # moves month
    Incident.objects.filter(grid__code__startswith=WEST_COUNTY, category="petition").delete()

    def snapshot():
        with connection.cursor() as cursor:
            cursor.execute("SELECT level, area_code, month, category, due_month, n FROM layers_openrollup "
                           "WHERE n <> 0 ORDER BY 2, 3, 4, 5")
            return cursor.fetchall()

    by_triggers = snapshot()
    with connection.cursor() as cursor:
        cursor.execute("SELECT figures_open_rebuild()")
    assert by_triggers == snapshot()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_openincident")
        open_now = cursor.fetchone()[0]
    assert sum(n for level, *_, n in by_triggers if level == 1) == open_now
    assert sum(n for level, *_, n in by_triggers if level == 2) == open_now
    assert sum(n for level, *_, n in by_triggers if level == 3) == open_now


def test_a_county_user_sees_nothing_of_the_other_county_at_province_zooms(client, loaded):
    _, key = create_user("county-west", "leader", WEST_COUNTY)
    layers = ("grids", "incidents", "workload", "people", "coverage", "safety_index", "threezero")
    for z in (5, 6, 8):
        lon = CENTRES[EAST_COUNTY]
        for layer in layers:
            codes = {f["properties"].get("code") or "" for f in features(client, key, layer, z, lon, LAT)}
            assert not any(code.startswith(EAST_COUNTY) for code in codes), (layer, z)
    own = drawn(client, key, "incidents", 5, CENTRES[WEST_COUNTY])
    assert own == {WEST_COUNTY: counted(6)[WEST_COUNTY]}


def test_every_layer_answers_at_province_zooms(client, loaded, admin_key):
    """The coverage layer at z ≤ 5 was a KeyError (a 500): no layer may fail at a province's zoom."""
    for layer in ("grids", "incidents", "workload", "people", "coverage", "safety_index", "threezero"):
        for z in (3, 5, 7, 9):
            x, y = tile_of(CENTRES[WEST_COUNTY], LAT, z)
            assert get(client, admin_key, layer, z, x, y).status_code in (200, 204), (layer, z)
