"""Key-group follow-ups (走访) over the API: a worker records one from the phone, the center reads them.

Who may record one (POST /api/people/<id>/followups): the tag's responsible worker (the caller's
profile names the Worker: Profile.worker_no) or a user with the personal-data right; in both cases the
person must live inside the caller's area. A caller who is neither gets the same 403 whatever the id
(whether it names a key person, anyone at all, or someone outside the area), so the route cannot be
used to find out who is on a list. Each record writes a `people_change` audit row.

When it happened: `at`, the phone's clock. A phone offline in a village stores the follow-up and sends
it when it has a signal again, so `at` may be days old; it is refused (400 naming `at`) when it lies in
the future (beyond a clock skew of 5 minutes), before the tag began, or more than
GRIDMAP_FOLLOWUP_MAX_AGE_DAYS (default 30) before the server received it: an absurd time would put a
follow-up into a month whose index is long published. A retry under the same `client_id` stores once
(the first record is answered, marked Idempotent-Replayed).

Who may read them (GET): only users with the personal-data right, inside their scope; the note says
things about the person, so every answer is a `personal_read` audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone

from geo import once
from geo.access import Access, audit, audit_personal_read
from geo.errors import Conflict, Forbidden, InvalidInput, NotFound
from geo.models import AuditRecord, Profile
from grids.models import Worker
from layers.incidents import inputs
from people.counts import forget_follow_ups
from people.models import FollowUp, KeyGroup, KeyTag, Person

NOTE_MAX = 2000
CLOCK_SKEW = dt.timedelta(minutes=5)
FIELDS = {"group", "at", "kind", "outcome", "note", "client_id"}
LIST_MAX = 500
PERSONAL = ("note",)


def max_age_days() -> int:
    return int(getattr(settings, "GRIDMAP_FOLLOWUP_MAX_AGE_DAYS", 30))


def worker_of(access: Access) -> int | None:
    """The Worker the caller is (Profile.worker_no, as patrols read it), or None."""
    if access.user_id is None:
        return None
    number = Profile.objects.filter(user_id=access.user_id).values_list("worker_no", flat=True).first()
    return Worker.objects.filter(employee_no=number).values_list("pk", flat=True).first() if number else None


def _refused(access: Access) -> Forbidden:
    return Forbidden(f"{access.username} may record follow-ups only of the key persons they are responsible for, "
                     "inside their area (or with the personal-data right)", field="person")


def _when(data: Mapping[str, Any], tag: KeyTag, received: dt.datetime) -> dt.datetime:
    at = inputs.moment(data.get("at"), "at") or received
    if at > received + CLOCK_SKEW:
        raise InvalidInput(f"at: {at.isoformat()} is in the future (the server's time is {received.isoformat()})",
                           field="at")
    oldest = received - dt.timedelta(days=max_age_days())
    if at < oldest:
        raise InvalidInput(f"at: {at.isoformat()} is more than {max_age_days()} days ago; a follow-up is recorded "
                           "within that time of being done", field="at")
    if timezone.localtime(at).date() < tag.since:
        raise InvalidInput(f"at: {at.isoformat()} is before the person entered the group ({tag.since})", field="at")
    return at


def _tag(access: Access, person_id: int, group: str, worker_id: int | None) -> KeyTag:
    """The open tag the follow-up is of, checked against the caller's rights (see the module's text)."""
    person = Person.objects.within(access.scope).filter(pk=person_id).first()
    tags = list(KeyTag.objects.filter(person=person, until__isnull=True).order_by("group")) if person else []
    if not access.personal_data:
        tags = [t for t in tags if worker_id is not None and t.worker_id == worker_id]
        if not tags:
            raise _refused(access)
    elif person is None:
        raise NotFound(f"person: no person {person_id} in your area", field="person")
    if group:
        chosen = [t for t in tags if t.group == group]
        if not chosen:
            if not access.personal_data:
                raise _refused(access)
            raise Conflict(f"group: person {person_id} is not in the {group} group", field="group")
        return chosen[0]
    if len(tags) == 1:
        return tags[0]
    if not tags:
        raise Conflict(f"person: person {person_id} is in no key group", field="person")
    raise InvalidInput(f"group: person {person_id} is in {len(tags)} key groups ({', '.join(t.group for t in tags)}); "
                       "name the one followed up", field="group")


def record(access: Access, person_id: int, data: Any) -> tuple[FollowUp, bool]:
    """Store a follow-up of the person; (follow-up, created). The caller checked "view"."""
    if not isinstance(data, Mapping):
        raise InvalidInput("body: expected a JSON object", field="body")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a field of a follow-up (fields: {', '.join(sorted(FIELDS))})",
                           field=unknown[0])
    received = timezone.now()
    worker_id = worker_of(access)
    group = inputs.choice(data, "group", KeyGroup)
    kind = inputs.choice(data, "kind", FollowUp.Kind, default=FollowUp.Kind.VISIT)
    outcome = inputs.choice(data, "outcome", FollowUp.Outcome, default=FollowUp.Outcome.STABLE)
    note = inputs.text(data, "note", max_length=NOTE_MAX)
    client_id = inputs.client_id(data)
    tag = _tag(access, person_id, group, worker_id)
    at = _when(data, tag, received)
    if (first := once.earlier(FollowUp, client_id)) is not None:
        return _replay(first, tag), False
    def create() -> FollowUp:
        made = FollowUp.objects.create(tag=tag, worker_id=worker_id, at=at, kind=kind, outcome=outcome, note=note,
                                       recorded_by=access.username, recorded_at=received, client_id=client_id)
        audit(access, AuditRecord.Action.PEOPLE_CHANGE, target=f"person:{person_id}",
              detail={"follow_up": made.pk, "tag": tag.pk, "group": tag.group, "at": at.isoformat()}, rows=1)
        return made

    made, created = once.create_once(FollowUp, client_id, create, lambda first: _replay(first, tag),
                                     "the follow-up could not be stored; retry")
    if created:
        forget_follow_ups()
    return made, created


def _replay(earlier: FollowUp, tag: KeyTag) -> FollowUp:
    if earlier.tag_id != tag.pk:
        raise Conflict(f"client_id: already used for another follow-up (#{earlier.pk})", field="client_id")
    return earlier


def as_json(f: FollowUp, *, note: bool) -> dict[str, Any]:
    """A follow-up as the API shows it; the note only to callers with the personal-data right."""
    body = {"id": f.pk, "group": f.tag.group, "at": f.at.isoformat(), "kind": f.kind, "outcome": f.outcome,
            "worker": f.worker.employee_no if f.worker else None, "recorded_by": f.recorded_by,
            "recorded_at": f.recorded_at.isoformat()}
    if note:
        body["note"] = f.note
    return body


def listing(access: Access, person_id: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET: the person's follow-ups, newest first (personal-data right, inside the scope, audited)."""
    if not access.personal_data:
        raise Forbidden(f"{access.username} may not read follow-ups (the personal-data right is needed); counts per "
                        "unit are at /api/stats/<code>")
    if not Person.objects.within(access.scope).filter(pk=person_id).exists():
        raise NotFound(f"no person {person_id}")
    limit = inputs.integer(params, "limit", low=1, high=LIST_MAX) or 100
    found = FollowUp.objects.filter(tag__person_id=person_id).select_related("tag", "worker")
    total = found.count()
    rows = list(found.order_by("-at", "-id")[:limit])
    audit_personal_read(access, "person", [person_id], ["follow_ups", *PERSONAL], target=f"person:{person_id}",
                        rows=max(len(rows), 1))
    return {"person": person_id, "total": total, "limit": limit,
            "follow_ups": [as_json(f, note=True) for f in rows]}
