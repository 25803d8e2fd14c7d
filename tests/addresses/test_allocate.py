"""Next-number allocation: in time order, above every code that exists or ever existed, never twice,
also under concurrent transactions (threads with their own PostgreSQL connections)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from addresses import allocate
from addresses.models import AddressCounter
from geo.errors import InvalidCode
from layers.models import Building
from tests.support.concurrent import at_once
from tests.support.grids import add_building

V = "419001103200"


def test_numbers_follow_the_highest_existing_code_and_go_up(tree):
    add_building(1, 112.45, 35.05)
    add_building(7, 112.46, 35.05)  # written without allocation (a register, the demo loader)
    assert allocate.next_building_code(V) == f"{V}00008"
    assert allocate.next_building_code(V) == f"{V}00009"
    assert allocate.allocate(allocate.BUILDING, V, 3) == [10, 11, 12]
    assert AddressCounter.objects.get(prefix=V).last == 12


def test_a_deleted_address_keeps_its_number_used(tree):
    top = add_building(5, 112.45, 35.05, rooms=2)
    room_prefix = allocate.room_prefix(top.address_code, 1, 1)
    top.delete()  # the rooms go with it (ORM cascade): each DELETE fires the counters' trigger
    assert not Building.objects.exists()
    assert allocate.next_building_code(V) == f"{V}00006"
    assert AddressCounter.objects.get(prefix=room_prefix).last == 2


def test_a_deleted_allocated_address_is_not_reallocated(tree, inside_west):
    code = allocate.next_building_code(V)
    Building.objects.create(address_code=code, location=inside_west)
    Building.objects.filter(address_code=code).delete()  # a queryset delete: one statement, same trigger
    assert allocate.next_building_code(V) > code


def test_rooms_are_numbered_per_unit_and_floor(tree):
    building = add_building(1, 112.45, 35.05, rooms=2)  # unit 1, floor 1, rooms 001 and 002
    assert allocate.next_room_number(building.address_code, 1, 1) == 3
    assert allocate.next_room_number(building.address_code, 1, 2) == 1
    assert allocate.next_room_number(building.address_code, 2, 1) == 1


def test_explicit_codes_count_as_used(tree):
    allocate.mark_used(allocate.BUILDING, [f"{V}00040", f"{V}00012"])
    assert allocate.next_building_code(V) == f"{V}00041"


def test_a_full_prefix_is_refused_and_a_bad_prefix_named(tree):
    AddressCounter.objects.create(prefix=V, last=99999)
    with pytest.raises(InvalidCode) as err:
        allocate.next_building_code(V)
    assert "no numbers left" in err.value.message
    with pytest.raises(InvalidCode):
        allocate.allocate(allocate.BUILDING, "41900110320")


def test_a_rolled_back_allocation_was_never_used(tree):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        assert allocate.next_building_code(V) == f"{V}00001"
        raise Undo
    assert allocate.next_building_code(V) == f"{V}00001"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_allocations_never_share_a_number(tree, inside_west):
    """Eight threads, each its own connection and transaction, allocate and write buildings at once;
    each holds its transaction open a moment so that the others really queue on the counter."""
    add_building(3, 112.45, 35.05)

    def work() -> list[str]:
        codes = []
        for _ in range(5):
            with transaction.atomic():
                code = allocate.next_building_code(V)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(0.01)")
                Building.objects.create(address_code=code, location=inside_west)
            codes.append(code)
        return codes

    codes = [code for batch in at_once(8, work) for code in batch]
    assert len(codes) == 40 and len(set(codes)) == 40
    assert sorted(codes) == [f"{V}{n:05d}" for n in range(4, 44)]
    assert Building.objects.count() == 41
