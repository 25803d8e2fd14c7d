"""A small populated county for the people tests: the shared tree (tests/conftest.py) with a building
of rooms in each grid, people living there, an enterprise, key persons; users with and without the
personal-data right, county- and grid-scoped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.test import Client

from geo.access import clear_token_cache, create_user
from people import identity, services
from people.models import Enterprise
from tests.support.grids import Api, add_building, add_worker


def id_number(n: int, birth: str = "19800101", region: str = "419001") -> str:
    """A valid identity number (right check digit) for sequence n."""
    first = f"{region}{birth}{n:03d}"
    return first + identity.id_check_digit(first)


def credit_code(n: int) -> str:
    first = f"91419001MA{n:07d}"
    return first + identity.uscc_check_char(first)


@dataclass
class World:
    client: Client
    keys: dict[str, str] = field(default_factory=dict)
    objs: dict[str, object] = field(default_factory=dict)

    def api(self, who: str) -> Api:
        return Api(self.client, self.keys[who])


@pytest.fixture
def world(tree, client) -> World:
    clear_token_cache()
    w = World(client)
    for name, role, scope, personal in (("admin1", "administrator", "", True),
                                        ("officer", "leader", "419001", True),
                                        ("leader", "leader", "419001", False),
                                        ("westie", "leader", "419001103200001", True),
                                        ("eastie", "leader", "419001103200002", True)):
        _, w.keys[name] = create_user(name, role, scope, personal_data=personal)
    west = add_building(1, 112.45, 35.05, rooms=4)
    east = add_building(2, 112.55, 35.05, rooms=3)
    west_rooms = list(west.rooms.order_by("address_code"))
    east_rooms = list(east.rooms.order_by("address_code"))
    worker = add_worker("W001", tree["west"])
    since = dt.date(2024, 1, 1)
    people = [services.register(name=f"演示居民{i}", id_number=id_number(i), room=west_rooms[i % 2],
                                tenure="owner" if i == 0 else "tenant", moved_in=since, demo=True)
              for i in range(3)]
    people.append(services.register(name="演示居民东", id_number=id_number(9), room=east_rooms[0],
                                    tenure="tenant", moved_in=since, demo=True))
    tag = services.tag(people[0], "correction", worker=worker, cadence_days=30, since=since)
    ent = Enterprise.objects.create(credit_code=credit_code(1), name="演示企业", building=east,
                                    legal_representative="演示法人", phone="13800000000", demo=True)
    w.objs.update(west=west, east=east, west_rooms=west_rooms, east_rooms=east_rooms, worker=worker,
                  people=people, tag=tag, enterprise=ent)
    return w
