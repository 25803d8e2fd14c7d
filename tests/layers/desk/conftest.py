"""The desk's world: the incident tests' staffed county, its departments, and department accounts.

    sfj       the county's justice bureau (419001-SFJ), scope the county
    zjj       the county's housing bureau (419001-ZJJ), scope the county
    sfj_west  a second justice-bureau account limited to the west grid
"""

from __future__ import annotations

import pytest

from geo.access import create_user
from layers.desk.departments import seed
from tests.support.incidents import make_world


@pytest.fixture
def desk(tree):
    world = make_world(tree)
    seed(tree["county"].code)
    county, west = tree["county"].code, tree["west"].code
    for who, department, scope in (("sfj", "419001-SFJ", county), ("zjj", "419001-ZJJ", county),
                                   ("sfj_west", "419001-SFJ", west)):
        _, world.keys[who] = create_user(who, "department", scope, department=department)
    return world
