"""The people rollup equals direct SQL counts after every kind of write, and /api/stats shows a
key-group count under the threshold as "< 5" to users without the personal-data right."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Point
from django.db import connection

from layers.models import Building, Room
from people import services
from people.models import Enterprise, Household, Person, Residence
from tests.people.conftest import id_number

DIRECT = """
SELECT a.code,
  (SELECT count(*) FROM people_residence r JOIN layers_room rm ON rm.id = r.room_id
     JOIN layers_building b ON b.id = rm.building_id WHERE r.moved_out IS NULL AND b.grid_code LIKE a.code || '%%'),
  (SELECT count(*) FROM people_household h JOIN layers_room rm ON rm.id = h.room_id
     JOIN layers_building b ON b.id = rm.building_id WHERE b.grid_code LIKE a.code || '%%'),
  (SELECT count(*) FROM people_enterprise e JOIN layers_building b ON b.id = e.building_id
     WHERE b.grid_code LIKE a.code || '%%'),
  (SELECT count(*) FROM people_keytag k JOIN people_residence r ON r.person_id = k.person_id AND r.moved_out IS NULL
     JOIN layers_room rm ON rm.id = r.room_id JOIN layers_building b ON b.id = rm.building_id
     WHERE k.until IS NULL AND k."group" = 'correction' AND b.grid_code LIKE a.code || '%%'),
  (SELECT count(*) FROM layers_room rm JOIN layers_building b ON b.id = rm.building_id
     WHERE b.grid_code LIKE a.code || '%%'
       AND NOT EXISTS (SELECT 1 FROM people_residence r WHERE r.room_id = rm.id AND r.moved_out IS NULL)),
  (SELECT count(*) FROM layers_room rm JOIN layers_building b ON b.id = rm.building_id
     WHERE b.grid_code LIKE a.code || '%%'
       AND EXISTS (SELECT 1 FROM people_residence r WHERE r.room_id = rm.id AND r.moved_out IS NULL
                   AND r.tenure = 'owner')),
  (SELECT count(*) FROM layers_room rm JOIN layers_building b ON b.id = rm.building_id
     WHERE b.grid_code LIKE a.code || '%%'
       AND EXISTS (SELECT 1 FROM people_residence r WHERE r.room_id = rm.id AND r.moved_out IS NULL)
       AND NOT EXISTS (SELECT 1 FROM people_residence r WHERE r.room_id = rm.id AND r.moved_out IS NULL
                       AND r.tenure = 'owner'))
FROM grids_area a WHERE a.level <= 4 ORDER BY a.code
"""
NAMES = ("population", "households", "enterprises", "key_correction", "rooms_empty", "rooms_owner", "rooms_let")


def direct() -> dict[str, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(DIRECT)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def rolled() -> dict[str, tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT a.code, u.measure, u.n FROM grids_area a "
                       "JOIN people_unitcount u ON u.area_code = a.code WHERE a.level <= 4")
        found: dict[str, dict[str, int]] = {}
        for code, measure, n in cursor.fetchall():
            found.setdefault(code, {})[measure] = n
        cursor.execute("SELECT code FROM grids_area WHERE level <= 4")
        return {code: tuple(found.get(code, {}).get(m, 0) for m in NAMES) for (code,) in cursor.fetchall()}


def rebuilt() -> dict[str, tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT people_rollup_rebuild()")
    return rolled()


def test_counts_equal_sql_counts_after_every_kind_of_write(world):
    assert rolled() == direct()
    assert rolled()["419001"] == (4, 0, 1, 1, 4, 1, 2)  # 7 rooms: 1 owner-occupied, 2 let, 4 empty
    people = world.objs["people"]
    west_rooms, east_rooms = world.objs["west_rooms"], world.objs["east_rooms"]
    # A move out of the west grid carries the key person's tag to the east.
    services.move(people[0], east_rooms[1], on=dt.date(2025, 1, 1))
    assert rolled() == direct()
    assert rolled()["419001103200002"][3] == 1 and rolled()["419001103200001"][3] == 0
    Household.objects.create(room=west_rooms[2])
    Household.objects.create(room=east_rooms[0])
    services.register(name="新居民", id_number=id_number(20), room=west_rooms[3], tenure="owner")
    assert rolled() == direct()
    Person.objects.filter(pk=people[1].pk).delete()
    Residence.objects.filter(person=people[2]).update(moved_out=dt.date(2025, 6, 1))
    assert rolled() == direct()
    # A building moved to the other grid (as a redraw's reassignment does) moves its counts.
    Building.objects.filter(pk=world.objs["west"].pk).update(grid_id="419001103200002")
    assert rolled() == direct()
    new = Building.objects.create(address_code="41900110320000003", location=Point(112.45, 35.06, srid=4326))
    Room.objects.create(building=new, number="001", address_code=Room.make_code(new.address_code, 1, 1, 1))
    assert rolled() == direct()
    # Residences, households and enterprises are counted from each statement's difference (not a recount):
    # rows changed in place, in bulk, and deleted.
    Residence.objects.filter(person=people[3]).update(tenure="owner")
    assert rolled() == direct()
    Residence.objects.filter(moved_out__isnull=True).update(room=west_rooms[1], tenure="tenant")
    assert rolled() == direct()
    Residence.objects.filter(person=people[0], moved_out__isnull=True).update(tenure="owner")
    Household.objects.filter(room=west_rooms[2]).update(room=east_rooms[2])
    Enterprise.objects.filter(pk=world.objs["enterprise"].pk).update(building=world.objs["west"])
    assert rolled() == direct()
    Residence.objects.filter(person=people[3]).delete()
    assert rolled() == direct() == rebuilt()
    # New residences in one statement (as an import writes them) are added as their difference: an owner
    # into a let room, a tenant into an empty one, two into the same empty room, a key person, and a
    # past residence that counts nowhere.
    newcomers = [services.register(name=f"新{i}", id_number=id_number(40 + i)) for i in range(6)]
    services.tag(newcomers[4], "drug", since=dt.date(2024, 1, 1))
    let_room = Residence.objects.filter(moved_out__isnull=True, tenure="tenant").values_list("room", flat=True)[0]
    empty = [r for r in [*west_rooms, *east_rooms]
             if not Residence.objects.filter(room=r, moved_out__isnull=True).exists()]
    Residence.objects.bulk_create([
        Residence(person=newcomers[0], room_id=let_room, tenure="owner", moved_in=dt.date(2025, 1, 1)),
        Residence(person=newcomers[1], room=empty[0], tenure="tenant", moved_in=dt.date(2025, 1, 1)),
        Residence(person=newcomers[2], room=empty[1], tenure="tenant", moved_in=dt.date(2025, 1, 1)),
        Residence(person=newcomers[3], room=empty[1], tenure="other", moved_in=dt.date(2025, 1, 1)),
        Residence(person=newcomers[4], room=empty[1], tenure="tenant", moved_in=dt.date(2025, 1, 1)),
        Residence(person=newcomers[5], room=empty[0], tenure="owner", moved_in=dt.date(2020, 1, 1),
                  moved_out=dt.date(2021, 1, 1))])
    assert rolled() == direct() == rebuilt()
    world.objs["enterprise"].delete()
    assert rolled() == direct() == rebuilt()


def test_stats_hide_small_key_group_counts_without_the_right(world):
    leader = world.api("leader").get("/api/stats/419001", children="1").json()["people"]
    officer = world.api("officer").get("/api/stats/419001", children="1").json()["people"]
    assert leader["unit"]["key_persons"]["correction"] == "< 5"
    assert officer["unit"]["key_persons"]["correction"] == 1
    assert leader["unit"]["key_persons"]["drug"] == 0  # 0 reveals nobody
    assert leader["unit"]["population"] == officer["unit"]["population"] == 4
    assert leader["threshold"] == 5
    township = leader["children"]["419001103"]
    assert township["key_persons"]["correction"] == "< 5" and township["population"] == 4
    grid = world.api("leader").get("/api/stats/419001103200001").json()["people"]["unit"]
    assert grid["workers"] == 1 and grid["residents_per_worker"] == 3.0
    assert grid["rooms"] == {"empty": 2, "let": 1, "owner_occupied": 1}
    assert grid["residents_per_km2"] > 0


def test_the_threshold_is_a_setting(world, settings):
    settings.GRIDMAP_KEY_GROUP_THRESHOLD = 1
    leader = world.api("leader").get("/api/stats/419001").json()["people"]
    assert leader["unit"]["key_persons"]["correction"] == 1


def test_area_detail_carries_the_same_counts_and_hides_small_ones(world):
    leader = world.api("leader").get("/api/areas/419001103200").json()["people"]
    officer = world.api("officer").get("/api/areas/419001103200").json()["people"]
    assert leader["population"] == 4 and leader["enterprises"] == 1
    assert leader["key_persons"]["correction"] == "< 5" and officer["key_persons"]["correction"] == 1
    assert world.api("westie").get("/api/areas/419001103200002").status_code == 404
