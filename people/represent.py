"""People and enterprises as JSON, and the audit of every read of a personal record.

A person's record is personal data as a whole (who lives where, who is on a key-group list), so it is
answered only to users with the personal-data right, inside their scope, and each answer that shows one
or more records writes one audit row naming them (`audit_read`). An enterprise is not personal, except
for the person behind it (legal representative, phone: PERSONAL_FIELDS["enterprise"]), which only the
same users read, audited the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from geo.access import Access, audit_personal_read
from geo.errors import Forbidden, NotFound
from layers.figures.counts import zone
from people import services
from people.models import PERSONAL_FIELDS, Enterprise, KeyTag, Person, Residence


def require_personal(access: Access) -> None:
    if not access.personal_data:
        raise Forbidden(f"{access.username} may not read personal records (the personal-data right is needed); "
                        "counts per unit are at /api/stats/<code>")


def audit_read(access: Access, kind: str, ids: Iterable[int], request=None) -> None:
    """One audit row for an answer that shows personal fields of these records: who read whose data."""
    ids = list(ids)
    audit_personal_read(access, kind, ids, PERSONAL_FIELDS[kind], target=f"{kind}:" + ",".join(map(str, ids[:20])),
                        request=request)


def visible_person(access: Access, pk: int) -> Person:
    require_personal(access)
    person = Person.objects.within(access.scope).filter(pk=pk).first()
    if person is None:
        raise NotFound(f"no person {pk}")
    return person


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def people_json(people: list[Person]) -> list[dict[str, Any]]:
    """Full records (the caller checked the right and audits the read): two queries for the residences
    and tags of all of them, one for the identity numbers."""
    ids = [p.pk for p in people]
    numbers = services.decrypt(ids)
    residences: dict[int, list[Residence]] = {}
    for r in Residence.objects.filter(person_id__in=ids).select_related("room__building").order_by("moved_in", "id"):
        residences.setdefault(r.person_id, []).append(r)
    tags: dict[int, list[KeyTag]] = {}
    for t in KeyTag.objects.filter(person_id__in=ids).select_related("worker").prefetch_related("follow_ups"):
        tags.setdefault(t.person_id, []).append(t)
    out = []
    for p in people:
        history = residences.get(p.pk, [])
        current = next((r for r in history if r.moved_out is None), None)
        out.append({
            "id": p.pk, "demo": p.demo, "name": p.name, "id_number": numbers.get(p.pk), "gender": p.gender,
            "birth_date": _day(p.birth_date), "phone": p.phone or None, "household": p.household_id,
            "room": current.room.address_code if current else None,
            "grid": current.room.building.grid_id if current else None,
            "residences": [{"room": r.room.address_code, "tenure": r.tenure, "moved_in": _day(r.moved_in),
                            "moved_out": _day(r.moved_out)} for r in history],
            "key_groups": [_tag_json(t) for t in tags.get(p.pk, [])],
        })
    return out


def _tag_json(tag: KeyTag) -> dict[str, Any]:
    follow_ups = sorted(tag.follow_ups.all(), key=lambda f: f.at, reverse=True)
    last = follow_ups[0].at if follow_ups else None
    # The day of the last follow-up in the figures' zone, as people_followup_due counts it
    # (people/sql/functions/30_followups.sql): due on next_due, overdue from the day after.
    next_due = (last.astimezone(zone()).date() if last else tag.since) + dt.timedelta(days=tag.cadence_days)
    today = dt.datetime.now(zone()).date()
    return {"group": tag.group, "since": _day(tag.since), "until": _day(tag.until),
            "worker": {"employee_no": tag.worker.employee_no, "name": tag.worker.name} if tag.worker else None,
            "cadence_days": tag.cadence_days, "follow_ups": len(follow_ups),
            "last_follow_up": last.isoformat() if last else None,
            "next_follow_up_due": _day(next_due) if tag.until is None else None,
            "overdue_for_follow_up": tag.until is None and tag.since <= today and next_due < today}


def enterprise_json(e: Enterprise, access: Access) -> dict[str, Any]:
    body: dict[str, Any] = {"id": e.pk, "demo": e.demo, "credit_code": e.credit_code, "name": e.name,
                            "kind": e.kind, "industry": e.industry, "employees": e.employees,
                            "building": e.building.address_code, "grid": e.building.grid_id}
    if access.personal_data:
        body.update({"legal_representative": e.legal_representative or None, "phone": e.phone or None})
    return body
