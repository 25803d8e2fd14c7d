"""The closed loop (闭环) as a state machine: two tables and one function that applies them.

    reported ─accept→ accepted ─dispatch→ dispatched ─start→ in_progress ─resolve→ resolved
        ─verify→ verified ─close→ closed ─rate→ closed
    return   (dispatched | in_progress | resolved → returned; then dispatch again)
    escalate (reported | accepted | dispatched | in_progress | returned → escalated; then accept/dispatch),
             to a named level and holder (layers/desk/steps.py)
    extend   (once, with a reason; the status stays, the due time moves by the table's extension, or by
              `days` if fewer; more than the table (or, for petitions, the regulation's 30) is a 400)

A limit counted from acceptance (petitions: 60 days 受理之日起) gets its due time at the first accept.

STEPS says from which statuses an action is allowed and what it sets; ROLE_ACTIONS says which role
may take it. A role that may not → 403; a status that does not allow it → 409 naming what would be
allowed; an incident outside the caller's scope → 404. Every step is written to the event log and
the audit trail in the same transaction as the change, with the row locked so two operators cannot
both move it from the same status. The desk's part of a step (departments, escalation targets) is
layers/desk/steps.py, called inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from geo.access import Access, audit
from geo.errors import Conflict, Forbidden, InvalidInput, NotFound
from geo.models import AuditRecord, Role
from grids.models import Worker
from layers.desk import steps as desk
from layers.desk.scope import visible
from layers.incidents import inputs
from layers.incidents.timelimits import check_extension, due_from_acceptance, extended, limit_for
from layers.models import Incident, IncidentEvent, TimeLimit

S = Incident.Status
NOTE_MAX = 2000


@dataclass(frozen=True)
class Step:
    action: str
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (extend, rate)
    stamp: str | None  # the time field the step sets
    needs_note: bool = False


STEPS: dict[str, Step] = {step.action: step for step in (
    Step("accept", (S.REPORTED, S.ESCALATED), S.ACCEPTED, "accepted_at"),
    Step("dispatch", (S.ACCEPTED, S.RETURNED, S.ESCALATED), S.DISPATCHED, "dispatched_at"),
    Step("start", (S.DISPATCHED,), S.IN_PROGRESS, "started_at"),
    Step("resolve", (S.IN_PROGRESS,), S.RESOLVED, "resolved_at"),
    Step("verify", (S.RESOLVED,), S.VERIFIED, "verified_at"),
    Step("close", (S.VERIFIED,), S.CLOSED, "closed_at"),
    Step("return", (S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED), S.RETURNED, "returned_at", needs_note=True),
    Step("escalate", (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED), S.ESCALATED,
         "escalated_at", needs_note=True),
    Step("extend", (S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.ESCALATED), None, "extended_at",
         needs_note=True),
    # The reporter's satisfaction, often collected by a follow-up call (回访) after closing.
    Step("rate", (S.CLOSED,), None, None),
)}

# Who may take which step. The center's operators run the whole loop (they also record what a
# department reports back); leaders accept, dispatch, verify, close, approve extensions; grid workers
# do the field work on matters in their own grid (their scope) and may hand back or escalate.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.OPERATOR: frozenset(STEPS),
    Role.ADMINISTRATOR: frozenset(STEPS),
    Role.LEADER: frozenset({"accept", "dispatch", "verify", "close", "return", "escalate", "extend", "rate"}),
    Role.GRID_WORKER: frozenset({"start", "resolve", "return", "escalate"}),
    # A department works the matters dispatched to it (layers/desk/scope.py) and may hand them back.
    Role.DEPARTMENT: frozenset({"start", "resolve", "return"}),
}


def allowed_from(status: str) -> list[str]:
    return [step.action for step in STEPS.values() if status in step.sources]


def transition(access: Access, incident_id: int, action: str, payload: Mapping[str, Any]) -> Incident:
    """Apply one step of the loop for the caller (who holds the "transition" permission)."""
    step = STEPS.get(action)
    if step is None:
        raise NotFound(f"no loop action {action!r}; actions are {', '.join(STEPS)}")
    may = ROLE_ACTIONS.get(access.role or "", frozenset())
    if action not in may:
        listing = ", ".join(a for a in STEPS if a in may) or "none"
        raise Forbidden(f"{access.username} ({access.role or 'no role'}) may not {action} incidents; "
                        f"this role may: {listing}")
    note = inputs.text(payload, "note", max_length=NOTE_MAX)
    if step.needs_note and not note:
        raise InvalidInput(f"note: {action} needs a note saying why", field="note")
    extra = _parameters(access, action, payload)
    desk_fields = desk.parameters(access, action, payload)
    extra.update(desk.incident_fields(action, desk_fields))
    now = timezone.now()
    with transaction.atomic():
        incident = (visible(access, Incident.objects).select_for_update(of=("self",))
                    .filter(pk=incident_id).first())
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        before = incident.status
        if before not in step.sources:
            allowed = ", ".join(allowed_from(before)) or "nothing"
            raise Conflict(f"cannot {action} an incident that is {before}; allowed from {before}: {allowed}",
                           detail={"status": before, "allowed": allowed_from(before)})
        if action == "return" and desk.co_return(access, incident, note, now):
            return incident  # a co-handler's return: its part ends, the matter stays where it is
        changes = _changes(incident, step, extra, now)
        limit_note = changes.pop("_limit_note", "")
        if limit_note:
            changes["limit_note"] = "; ".join(filter(None, (incident.limit_note, limit_note)))
        Incident.objects.filter(pk=incident.pk).update(**changes)
        desk_detail = desk.after_step(access, incident, action, desk_fields, note, now)
        after = step.target or before
        IncidentEvent.objects.create(incident=incident, action=action, from_status=before, to_status=after, at=now,
                                     actor=access.username, note="; ".join(filter(None, (note, limit_note))))
        detail = {"action": action, "from": before, "to": after, "note": note}
        detail.update({k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in changes.items()
                       if k not in {"status", step.stamp, "limit_note"}})
        if limit_note:
            detail["limit_note"] = limit_note
        detail.update(desk_detail)
        audit(access, AuditRecord.Action.INCIDENT_TRANSITION, target=str(incident.pk), detail=detail)
    return incident


def _parameters(access: Access, action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Check the step's own fields before taking the row lock."""
    if action == "dispatch":
        employee_no = inputs.text(payload, "assignee", max_length=32)
        department = inputs.text(payload, "department", max_length=100)
        if employee_no and department:
            raise InvalidInput("dispatch to a worker (assignee) or to a department, not both", field="assignee")
        if employee_no:
            worker = Worker.objects.within(access.scope).filter(employee_no=employee_no, active=True).first()
            if worker is None:
                raise InvalidInput(f"assignee: no active worker {employee_no} in your area", field="assignee")
            return {"assignee_id": worker.pk, "department": ""}
        if department:
            return {"assignee_id": None, "department": department}
        return {}
    if action == "extend":
        days = inputs.integer(payload, "days", low=1, high=366)
        return {} if days is None else {"_days": days}
    if action in {"close", "rate"}:
        satisfaction = inputs.integer(payload, "satisfaction", low=1, high=5)
        if action == "rate" and satisfaction is None:
            raise InvalidInput("satisfaction is required: a whole number 1-5", field="satisfaction")
        return {} if satisfaction is None else {"satisfaction": satisfaction}
    return {}


def _changes(incident: Incident, step: Step, extra: dict[str, Any], now) -> dict[str, Any]:
    changes: dict[str, Any] = {k: v for k, v in extra.items() if not k.startswith("_")}
    if step.target:
        changes["status"] = step.target
    if step.stamp:
        changes[step.stamp] = now
    if step.action == "dispatch" and not extra and incident.assignee_id is None:
        raise InvalidInput("dispatch needs an assignee (employee_no) or a department: the grid has no responsible "
                           "worker", field="assignee")
    if step.action == "extend":
        if incident.extended_at:
            raise Conflict(f"incident {incident.pk} was already extended on "
                           f"{timezone.localtime(incident.extended_at):%Y-%m-%d}; a matter is extended once"
                           + (f" ({TimeLimit.PETITION_BASIS})" if incident.category == Incident.Category.PETITION
                              else ""))
        limit = limit_for(incident.category, incident.severity)
        due = extended(incident.due_at or now, limit, check_extension(incident, limit, extra.get("_days")))
        changes["due_at"], changes["_limit_note"] = due.at, due.note
    if step.action == "accept" and incident.accepted_at is None and incident.extended_at is None:
        limit = limit_for(incident.category, incident.severity)
        if limit.from_acceptance:
            due = due_from_acceptance(now, limit)
            changes["due_at"], changes["_limit_note"] = due.at, due.note
    return changes


def comment(access: Access, incident_id: int, payload: Mapping[str, Any]) -> IncidentEvent:
    """A comment or update on an incident in any status; the status does not change."""
    if not (access.can("report") or access.can("transition")):
        raise Forbidden(f"{access.username} ({access.role or 'no role'}) may not comment on incidents")
    note = inputs.text(payload, "note", max_length=NOTE_MAX, required=True)
    incident = visible(access, Incident.objects).filter(pk=incident_id).values("pk", "status").first()
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return IncidentEvent.objects.create(incident_id=incident["pk"], action="comment", from_status=incident["status"],
                                        to_status=incident["status"], at=timezone.now(), actor=access.username,
                                        note=note)
