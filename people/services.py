"""Writing people: registering a person (identity number checked, hashed and encrypted), moving them
to another room (the old residence closed, the new one opened, in one transaction), tagging a key
person and recording a follow-up. Every write path (API, import, demo loader, admin) uses these or
writes the same columns by COPY with the same helpers of people/identity.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from geo.errors import Conflict, InvalidInput
from grids.models import Worker
from layers.models import Room
from people import identity
from people.counts import forget_follow_ups
from people.models import FollowUp, KeyGroup, KeyTag, Person, Residence


def encrypt(values: list[str], cursor=None) -> list[bytes]:
    """The ciphertexts of clear identity numbers, in order (pgcrypto, under the personal key), computed on
    `cursor`'s connection (default: Django's); nothing is written."""
    if not values:
        return []
    with contextlib.nullcontext(cursor) if cursor is not None else connection.cursor() as cur:
        cur.execute("SELECT people_encrypt_id(v, %s) FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, i) "
                    "ORDER BY i", [identity.personal_key().decode(), values])
        return [bytes(row[0]) for row in cur.fetchall()]


def decrypt(person_ids: list[int]) -> dict[int, str]:
    """{person id: clear identity number}. Only for answers to users with the personal-data right; the
    caller audits the read."""
    if not person_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, pgp_sym_decrypt(id_cipher, %s) FROM people_person WHERE id = ANY(%s)",
                       [identity.personal_key().decode(), person_ids])
        return dict(cursor.fetchall())


def find_by_id_number(id_number: str) -> Person | None:
    """The person with this identity number, matched on the keyed hash (the clear value is never read)."""
    return Person.objects.filter(id_hash=identity.id_hash(identity.normalize_id(id_number))).first()


def room_by_code(code: str, field: str = "room") -> Room:
    room = Room.objects.select_related("building").filter(address_code=str(code or "").strip()).first()
    if room is None:
        raise InvalidInput(f"{field}: no room with address code {code!r}", field=field)
    return room


def register(*, name: str, id_number: str, room: Room | None = None, tenure: str = Residence.Tenure.OWNER,
             moved_in: dt.date | None = None, phone: str = "", household=None, demo: bool = False) -> Person:
    """A new person living in `room` from `moved_in` (today by default). A second registration of the
    same identity number is a Conflict naming the field."""
    if not str(name or "").strip():
        raise InvalidInput("name: required", field="name")
    number = identity.normalize_id(id_number)
    if tenure not in Residence.Tenure.values:
        raise InvalidInput(f"tenure: one of {', '.join(Residence.Tenure.values)}, got {tenure!r}", field="tenure")
    with transaction.atomic():
        try:
            with transaction.atomic():
                person = Person.objects.create(
                    name=name.strip(), id_hash=identity.id_hash(number), id_cipher=encrypt([number])[0],
                    gender=identity.gender(number), birth_date=identity.birth_date(number), phone=phone,
                    household=household, demo=demo)
        except IntegrityError as exc:
            raise Conflict("id_number: a person with this identity number is already registered",
                           field="id_number") from exc
        if room is not None:
            Residence.objects.create(person=person, room=room, tenure=tenure,
                                     moved_in=moved_in or timezone.localdate())
    return person


def move(person: Person, room: Room, *, on: dt.date | None = None, tenure: str = Residence.Tenure.OWNER
         ) -> Residence:
    """Close the person's current residence on `on` and open one in `room` from that day. The database
    refuses a second current residence, so two concurrent moves cannot both leave one open."""
    on = on or timezone.localdate()
    with transaction.atomic():
        current = Residence.objects.select_for_update().filter(person=person, moved_out__isnull=True).first()
        if current is not None:
            if on < current.moved_in:
                raise InvalidInput(f"on: {on} is before the current residence began ({current.moved_in})",
                                   field="on")
            current.moved_out = on
            current.save(update_fields=["moved_out"])
        made = Residence.objects.create(person=person, room=room, tenure=tenure, moved_in=on)
    forget_follow_ups()
    return made


def tag(person: Person, group: str, *, worker: Worker | None = None, cadence_days: int = 30,
        since: dt.date | None = None) -> KeyTag:
    if group not in KeyGroup.values:
        raise InvalidInput(f"group: one of {', '.join(KeyGroup.values)}, got {group!r}", field="group")
    if not isinstance(cadence_days, int) or cadence_days < 1:
        raise InvalidInput("cadence_days: a whole number of days ≥ 1", field="cadence_days")
    try:
        with transaction.atomic():
            made = KeyTag.objects.create(person=person, group=group, worker=worker, cadence_days=cadence_days,
                                         since=since or timezone.localdate())
    except IntegrityError as exc:
        raise Conflict(f"group: the person is already in the {group} group", field="group") from exc
    forget_follow_ups()
    return made


def follow_up(tag_: KeyTag, *, worker: Worker | None = None, kind: str = FollowUp.Kind.VISIT, note: str = "",
              at: dt.datetime | None = None) -> FollowUp:
    if kind not in FollowUp.Kind.values:
        raise InvalidInput(f"kind: one of {', '.join(FollowUp.Kind.values)}, got {kind!r}", field="kind")
    if tag_.until is not None:
        raise Conflict(f"tag: key tag #{tag_.pk} is closed", field="tag")
    made = FollowUp.objects.create(tag=tag_, worker=worker or tag_.worker, kind=kind, note=note,
                                   at=at or timezone.now())
    forget_follow_ups()
    return made
