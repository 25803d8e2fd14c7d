"""The desk's actions on a matter, beside the closed loop (layers/incidents/loop.py):

    dispatch   (a loop step) to one lead department and co-handlers: lead_department, co_departments
    return     (a loop step) by a department: the lead's return sends the matter back (status returned);
               a co-handler's return ends only its own part, the status stays
    escalate   (a loop step) names the level it goes to (village, township, county joint group; by
               default the next one up) and who holds it now (holder; by default that unit's center)
    supervise  督办, or kind=listed 挂牌督办 with owner (包案领导) and deadline
    remind     催办: an event on a supervised matter
    mediate    a dispute's mediation: route, body, outcome, next_step, agreement_date
    followup   the follow-up visit (回访) after a mediation agreement

The loop steps call `parameters()` before taking the row lock (every bad input a 400 naming the
field, nothing written) and `after_step()` in the same transaction. The other actions go through
`act()`, each with its event in the incident's log and its audit record, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from geo.access import Access, audit
from geo.errors import Conflict, Forbidden, InvalidInput, NotFound
from geo.models import AuditRecord, Role
from grids.models import Area
from layers.desk.models import Department, Dispatch, Escalation, Mediation, Supervision
from layers.desk.scope import visible
from layers.incidents import inputs
from layers.models import Incident, IncidentEvent

NOTE_MAX = 2000
MAX_CO = 10
LEVELS = ("village", "township", "county")  # Escalation.Level, lowest first
LEVEL_LENGTH = {"village": 12, "township": 9, "county": 6}

# Who may take the desk's own actions (the loop's steps are in loop.ROLE_ACTIONS).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.OPERATOR: frozenset({"supervise", "remind", "mediate", "followup"}),
    Role.ADMINISTRATOR: frozenset({"supervise", "remind", "mediate", "followup"}),
    Role.LEADER: frozenset({"supervise", "remind", "mediate", "followup"}),
    Role.DEPARTMENT: frozenset({"mediate", "followup"}),
}
ACTIONS = frozenset().union(*ROLE_ACTIONS.values())


# ------------------------------------------------------------------------------- loop steps

def parameters(access: Access, action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The desk's fields of a loop step, checked before the row lock."""
    if action == "dispatch":
        lead = inputs.text(payload, "lead_department", max_length=32)
        co = _codes(payload, "co_departments")
        if not lead:
            if co:
                raise InvalidInput("co_departments: co-handlers need a lead_department", field="lead_department")
            return {}
        if inputs.text(payload, "assignee", max_length=32) or inputs.text(payload, "department", max_length=100):
            raise InvalidInput("dispatch to a lead_department, or to a worker (assignee) or a department name, "
                               "not both", field="lead_department")
        if lead in co:
            raise InvalidInput(f"co_departments: {lead} is the lead department", field="co_departments")
        departments = {d.code: d for d in Department.objects.within(access.scope).filter(code__in=[lead, *co],
                                                                                          active=True)}
        for code, field in [(lead, "lead_department")] + [(c, "co_departments") for c in co]:
            if code not in departments:
                raise InvalidInput(f"{field}: no active department {code} serving your area", field=field)
        return {"lead": departments[lead], "co": [departments[c] for c in co]}
    if action == "escalate":
        level = inputs.choice(payload, "level", Escalation.Level)
        holder = inputs.text(payload, "holder", max_length=100)
        return {"level": level, "holder": holder}
    return {}


def _codes(payload: Mapping[str, Any], name: str) -> list[str]:
    """A list of department codes: a JSON list or a comma-separated string."""
    raw = payload.get(name)
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not all(isinstance(c, str) and 0 < len(c) <= 32 for c in raw):
        raise InvalidInput(f"{name}: expected department codes (a list, or comma-separated)", field=name)
    if len(raw) > MAX_CO:
        raise InvalidInput(f"{name}: at most {MAX_CO} co-handlers", field=name)
    if len(set(raw)) != len(raw):
        raise InvalidInput(f"{name}: a department is named twice", field=name)
    return raw


def incident_fields(action: str, desk: dict[str, Any]) -> dict[str, Any]:
    """The incident's own columns a desk step sets (the department name a lead dispatch records)."""
    if action == "dispatch" and desk.get("lead"):
        return {"assignee_id": None, "department": desk["lead"].name}
    return {}


def co_return(access: Access, incident: Incident, note: str, now: dt.datetime) -> bool:
    """A department's return of a matter it only co-handles: its own part ends, the status stays.
    Returns False when the department leads it (the loop's return then applies)."""
    if not access.narrowed:
        return False
    mine = Dispatch.objects.filter(incident=incident, department_id=access.department_code, ended_at__isnull=True)
    if mine.filter(role=Dispatch.Role.LEAD).exists():
        return False
    mine.update(ended_at=now, end=Dispatch.End.RETURNED, reason=note)
    IncidentEvent.objects.create(incident=incident, action="return", from_status=incident.status,
                                 to_status=incident.status, at=now, actor=access.username,
                                 note=f"{access.department_code} (co-handler): {note}")
    audit(access, AuditRecord.Action.INCIDENT_TRANSITION, target=str(incident.pk),
          detail={"action": "return", "role": "co", "department": access.department_code, "note": note})
    return True


def after_step(access: Access, incident: Incident, action: str, desk: dict[str, Any], note: str,
               now: dt.datetime) -> dict[str, Any]:
    """What a loop step does to the desk's tables (in the step's transaction); returns audit details."""
    if action == "dispatch":
        open_rows = Dispatch.objects.filter(incident=incident, ended_at__isnull=True)
        if desk.get("lead"):
            open_rows.update(ended_at=now, end=Dispatch.End.REDISPATCHED)
            Dispatch.objects.bulk_create(
                [Dispatch(incident=incident, department=desk["lead"], role=Dispatch.Role.LEAD, dispatched_at=now,
                          dispatched_by=access.username)]
                + [Dispatch(incident=incident, department=d, role=Dispatch.Role.CO, dispatched_at=now,
                            dispatched_by=access.username) for d in desk["co"]])
            return {"lead_department": desk["lead"].code, "co_departments": [d.code for d in desk["co"]]}
        # To a worker or by name: the departments' open parts end.
        open_rows.update(ended_at=now, end=Dispatch.End.REDISPATCHED)
        return {}
    if action == "return" and access.narrowed:
        # The lead department returns it (co_return handled a co-handler's): its lead part ends.
        Dispatch.objects.filter(incident=incident, department_id=access.department_code, ended_at__isnull=True
                                ).update(ended_at=now, end=Dispatch.End.RETURNED, reason=note)
        return {"department": access.department_code}
    if action == "escalate":
        level, holder = _escalation_target(incident, desk.get("level", ""), desk.get("holder", ""))
        Escalation.objects.create(incident=incident, level=level, holder=holder, at=now, actor=access.username)
        return {"level": level, "holder": holder}
    return {}


def _escalation_target(incident: Incident, level: str, holder: str) -> tuple[str, str]:
    """The level an escalation goes to (above any it reached before) and its holder."""
    reached = list(Escalation.objects.filter(incident=incident).values_list("level", flat=True))
    current = max((LEVELS.index(r) for r in reached), default=-1)
    if not level:
        if current == len(LEVELS) - 1:
            raise Conflict(f"incident {incident.pk} is already with the county joint group; name no higher level")
        level = LEVELS[current + 1]
    elif LEVELS.index(level) <= current:
        raise Conflict(f"incident {incident.pk} was already escalated to {LEVELS[current]}; "
                       f"escalate above it: {', '.join(LEVELS[current + 1:]) or 'nothing is higher'}",
                       detail={"level": LEVELS[current]})
    if not holder:
        holder = _default_holder(incident, level)
    return level, holder


def _default_holder(incident: Incident, level: str) -> str:
    """The unit's center at that level: 某村综治中心 / 某镇综治中心 / 县联合工作组."""
    code = (incident.grid_id or "")[:LEVEL_LENGTH[level]]
    area = Area.objects.filter(code=code).values_list("name", flat=True).first() if code else None
    if level == "county":
        return f"{area or ''}联合工作组"
    return f"{area or code}综治中心"


# ------------------------------------------------------------------------------- desk actions

def act(access: Access, incident_id: int, action: str, payload: Mapping[str, Any]) -> Incident:
    """One of the desk's own actions (supervise, remind, mediate, followup) on a visible matter."""
    may = ROLE_ACTIONS.get(access.role or "", frozenset())
    if action not in may:
        raise Forbidden(f"{access.username} ({access.role or 'no role'}) may not {action} incidents; this role may: "
                        f"{', '.join(sorted(may)) or 'none of the desk actions'}")
    note = inputs.text(payload, "note", max_length=NOTE_MAX)
    fields = CHECKS[action](payload)
    now = timezone.now()
    with transaction.atomic():
        incident = visible(access, Incident.objects).select_for_update(of=("self",)).filter(pk=incident_id).first()
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        detail = APPLY[action](access, incident, fields, note, now)
        IncidentEvent.objects.create(incident=incident, action=action, from_status=incident.status,
                                     to_status=incident.status, at=now, actor=access.username,
                                     note=note or detail.pop("summary", ""))
        detail.pop("summary", None)
        audit(access, AuditRecord.Action.INCIDENT_TRANSITION, target=str(incident.pk),
              detail={"action": action, "note": note, **detail})
    return incident


def _check_supervise(payload: Mapping[str, Any]) -> dict[str, Any]:
    kind = inputs.choice(payload, "kind", Supervision.Kind, default=Supervision.Kind.SUPERVISED)
    owner = inputs.text(payload, "owner", max_length=100)
    deadline = inputs.moment(payload.get("deadline"), "deadline", end_of_day=True)
    if kind == Supervision.Kind.LISTED and not owner:
        raise InvalidInput("owner: a listed matter (挂牌督办) names the leader who owns it (包案领导)", field="owner")
    if kind == Supervision.Kind.LISTED and deadline is None:
        raise InvalidInput("deadline: a listed matter (挂牌督办) needs a deadline", field="deadline")
    if deadline is not None and deadline <= timezone.now():
        raise InvalidInput("deadline: must be in the future", field="deadline")
    return {"kind": kind, "owner": owner, "deadline": deadline}


def _supervise(access: Access, incident: Incident, f: dict[str, Any], note: str, now: dt.datetime) -> dict:
    if incident.closed_at is not None:
        raise Conflict(f"incident {incident.pk} is closed; a closed matter is not supervised")
    existing = Supervision.objects.filter(incident=incident).first()
    deadline = f["deadline"] or (existing.deadline if existing else None) or incident.due_at
    if existing is None:
        Supervision.objects.create(incident=incident, kind=f["kind"], owner=f["owner"], deadline=deadline,
                                   opened_at=now, opened_by=access.username, reason=note)
    else:  # upgraded (supervised → listed), or a new owner or deadline
        if existing.kind == Supervision.Kind.LISTED and f["kind"] == Supervision.Kind.SUPERVISED:
            raise Conflict(f"incident {incident.pk} is listed (挂牌督办); it stays listed")
        existing.kind, existing.deadline = f["kind"], deadline
        existing.owner = f["owner"] or existing.owner
        existing.save(update_fields=["kind", "owner", "deadline"])
    return {"kind": f["kind"], "owner": f["owner"], "deadline": deadline.isoformat() if deadline else None,
            "summary": f"{f['kind']} {f['owner']}".strip()}


def _check_none(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {}


def _remind(access: Access, incident: Incident, f: dict[str, Any], note: str, now: dt.datetime) -> dict:
    if not Supervision.objects.filter(incident=incident).exists():
        raise Conflict(f"incident {incident.pk} is not supervised; supervise it before reminding (催办)")
    if incident.closed_at is not None:
        raise Conflict(f"incident {incident.pk} is closed; nothing to remind")
    Supervision.objects.filter(incident=incident).update(reminders=F("reminders") + 1)
    return {"summary": "催办"}


def _check_mediate(payload: Mapping[str, Any]) -> dict[str, Any]:
    outcome = inputs.choice(payload, "outcome", Mediation.Outcome, default=Mediation.Outcome.PENDING)
    next_step = inputs.choice(payload, "next_step", Mediation.NextStep)
    if outcome == Mediation.Outcome.FAILED and not next_step:
        raise InvalidInput("next_step: a failed mediation goes on to arbitration, litigation or petition",
                           field="next_step")
    if next_step and outcome != Mediation.Outcome.FAILED:
        raise InvalidInput("next_step: only a failed mediation has a next step", field="next_step")
    agreement = inputs.moment(payload.get("agreement_date"), "agreement_date")
    if outcome in (Mediation.Outcome.AGREEMENT, Mediation.Outcome.PARTIAL) and agreement is None:
        raise InvalidInput("agreement_date: an agreement has a date", field="agreement_date")
    if agreement is not None and outcome not in (Mediation.Outcome.AGREEMENT, Mediation.Outcome.PARTIAL):
        raise InvalidInput("agreement_date: only an agreement has one", field="agreement_date")
    day = timezone.localtime(agreement).date() if agreement else None
    if day is not None and day > timezone.localdate():
        raise InvalidInput("agreement_date: cannot be in the future", field="agreement_date")
    return {"route": inputs.choice(payload, "route", Mediation.Route),
            "body": inputs.text(payload, "body", max_length=100), "outcome": outcome, "next_step": next_step,
            "agreement_date": day}


def _mediate(access: Access, incident: Incident, f: dict[str, Any], note: str, now: dt.datetime) -> dict:
    if incident.category != Incident.Category.DISPUTE:
        raise Conflict(f"incident {incident.pk} is a {incident.category}; only disputes are mediated")
    existing = Mediation.objects.filter(incident=incident).first()
    if existing is None and not f["route"]:
        raise InvalidInput("route is required: people, administrative, judicial, industry or court_referred",
                           field="route")
    if existing is None and not f["body"]:
        raise InvalidInput("body is required: the mediating body (e.g. 某村人民调解委员会)", field="body")
    if existing is not None and existing.outcome != Mediation.Outcome.PENDING:
        raise Conflict(f"incident {incident.pk}'s mediation ended ({existing.outcome}); an outcome is recorded once")
    mediation = existing or Mediation(incident=incident, recorded_at=now, recorded_by=access.username)
    mediation.route = f["route"] or mediation.route
    mediation.body = f["body"] or mediation.body
    mediation.outcome, mediation.next_step = f["outcome"], f["next_step"]
    mediation.agreement_date = f["agreement_date"]
    mediation.followup_due = Mediation.followup_for(f["agreement_date"])
    mediation.save()
    return {"route": mediation.route, "body": mediation.body, "outcome": mediation.outcome,
            "next_step": mediation.next_step, "agreement_date": str(mediation.agreement_date or ""),
            "summary": f"{mediation.route} {mediation.outcome}"}


def _followup(access: Access, incident: Incident, f: dict[str, Any], note: str, now: dt.datetime) -> dict:
    mediation = Mediation.objects.filter(incident=incident).first()
    if mediation is None or mediation.agreement_date is None:
        raise Conflict(f"incident {incident.pk} has no mediation agreement to follow up")
    if mediation.followed_up_at is not None:
        raise Conflict(f"incident {incident.pk}'s agreement was followed up on "
                       f"{timezone.localtime(mediation.followed_up_at):%Y-%m-%d}")
    mediation.followed_up_at = now
    mediation.save(update_fields=["followed_up_at"])
    on_time = timezone.localtime(now).date() <= mediation.followup_due
    return {"followup_due": str(mediation.followup_due), "on_time": on_time, "summary": "回访"}


CHECKS = {"supervise": _check_supervise, "remind": _check_none, "mediate": _check_mediate, "followup": _check_none}
APPLY = {"supervise": _supervise, "remind": _remind, "mediate": _mediate, "followup": _followup}
