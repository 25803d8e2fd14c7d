"""People on rooms: one current room at a time (enforced by the database, whatever writes), moves kept
as history, identity numbers never stored in clear and matched by their keyed hash."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from geo.errors import Conflict, InvalidInput
from people import services
from people.models import Person, Residence
from tests.people.conftest import id_number


def test_the_database_refuses_a_second_current_room(world):
    person = world.objs["people"][0]
    other = world.objs["west_rooms"][3]
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        # Raw SQL, as an import or psql would write: the partial unique index stops it, not the ORM.
        cursor.execute("INSERT INTO people_residence (person_id, room_id, tenure, moved_in) "
                       "VALUES (%s, %s, 'owner', '2025-01-01')", [person.pk, other.pk])
    assert Residence.objects.filter(person=person, moved_out__isnull=True).count() == 1


def test_a_move_closes_the_old_residence_and_keeps_it(world):
    person = world.objs["people"][1]
    new_room = world.objs["east_rooms"][2]
    services.move(person, new_room, on=dt.date(2025, 3, 1), tenure="tenant")
    history = list(Residence.objects.filter(person=person).order_by("moved_in"))
    assert [(r.room_id, r.moved_out) for r in history] == [
        (world.objs["west_rooms"][1].pk, dt.date(2025, 3, 1)), (new_room.pk, None)]
    assert person.current_residence().room == new_room
    with pytest.raises(InvalidInput) as err:
        services.move(person, world.objs["west_rooms"][0], on=dt.date(2025, 2, 1))
    assert err.value.field == "on"


def test_identity_numbers_are_hashed_and_encrypted_never_clear(world):
    person = world.objs["people"][0]
    clear = id_number(0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT people_person::text FROM people_person WHERE id = %s", [person.pk])
        row_text = cursor.fetchone()[0]
    assert clear not in row_text and clear[:14] not in row_text
    assert services.find_by_id_number(clear) == person
    assert services.decrypt([person.pk]) == {person.pk: clear}
    assert person.gender == "F" and person.birth_date == dt.date(1980, 1, 1)  # sequence 000: even, female


@pytest.mark.django_db
def test_one_encryption_function_and_older_ciphertexts_still_decrypt():
    """people_encrypt_id is the one call every writer encrypts with: AES-256 with its integrity check, a salted
    key without iterations, no compression (read from the ciphertext's own header); a ciphertext of the earlier
    options (the default iterated key) and of the function both decrypt under the key, and no other key."""
    from fixtures import people as demo_people
    from people import identity
    key = identity.personal_key().decode()
    clear = id_number(3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pgp_sym_decrypt(people_encrypt_id(%(c)s, %(k)s), %(k)s), "
                       "pgp_sym_decrypt(pgp_sym_encrypt(%(c)s, %(k)s), %(k)s), "
                       "pgp_sym_decrypt(pgp_sym_encrypt(%(c)s, %(k)s, 'cipher-algo=aes256, s2k-mode=1'), %(k)s), "
                       "pgp_sym_encrypt(%(c)s, %(k)s) <> people_encrypt_id(%(c)s, %(k)s)", {"c": clear, "k": key})
        assert cursor.fetchone() == (clear, clear, clear, True)
        cursor.execute("SELECT people_encrypt_id(%s, %s)", [clear, key])
        cipher = bytes(cursor.fetchone()[0])
        # The OpenPGP header (RFC 4880 5.3): a symmetric-key session packet, version 4, AES-256 (9), a salted
        # key (s2k mode 1, no iteration count) with SHA-1 (2); the default call's is AES-128 (7), iterated (3).
        assert cipher[:6].hex() == "c30c04090102"
        with pytest.raises(Exception, match="Wrong key"), transaction.atomic():
            cursor.execute("SELECT pgp_sym_decrypt(%s, 'another key')", [cipher])
    # The demo loader's encryption (run on a second connection during a load) gives the same: in order, each
    # ciphertext the number's.
    numbers = [id_number(i) for i in range(5)]
    with connection.cursor() as cursor:
        ciphers = demo_people.encrypt(cursor, numbers)
        cursor.execute("SELECT pgp_sym_decrypt(c, %s) FROM unnest(%s::bytea[]) WITH ORDINALITY AS t(c, i) ORDER BY i",
                       [key, ciphers])
        assert [r[0] for r in cursor.fetchall()] == numbers


def test_a_second_registration_of_an_identity_number_is_a_conflict(world):
    before = Person.objects.count()
    with pytest.raises(Conflict) as err:
        services.register(name="重复", id_number=id_number(0), room=world.objs["west_rooms"][0])
    assert err.value.field == "id_number"
    assert Person.objects.count() == before


def test_a_bad_identity_number_writes_nothing(world):
    before = (Person.objects.count(), Residence.objects.count())
    bad = id_number(5)[:17] + ("0" if id_number(5)[17] != "0" else "1")
    with pytest.raises(InvalidInput) as err:
        services.register(name="错号", id_number=bad, room=world.objs["west_rooms"][0])
    assert err.value.field == "id_number"
    assert (Person.objects.count(), Residence.objects.count()) == before


def test_key_tags_one_open_per_group_and_follow_ups(world):
    tag = world.objs["tag"]
    with pytest.raises(Conflict):
        services.tag(world.objs["people"][0], "correction")
    with pytest.raises(InvalidInput) as err:
        services.tag(world.objs["people"][0], "nonsense")
    assert err.value.field == "group"
    services.follow_up(tag, note="上门走访")
    assert tag.follow_ups.count() == 1 and tag.follow_ups.get().worker == world.objs["worker"]
