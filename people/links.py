"""The person or enterprise an incident concerns: checked at intake, kept as an IncidentLink, shown on
the incident (the Linker that people hands layers.incidents.links in its ready()).

Intake body fields:
- `person`: a person's id. Naming a person says something about them (that they are concerned in
  this matter), so it needs the personal-data right: without it a 403 naming `person`. The person must
  live inside the caller's scope: otherwise, as for an unknown id, a 404 naming `person` (the same
  answer, so an id outside one's area cannot be probed).
- `enterprise`: an enterprise's id, or its unified social credit code (18 characters, check character
  verified: a bad one is a 400 naming `enterprise`). Any caller who may report may name one inside
  their scope (enterprises are not personal); unknown or outside: a 404 naming `enterprise`.

Every refusal comes before the insert, so nothing is written. A stored link writes one
`people_change` audit row in the insert's transaction; an answer that shows the linked person writes a
`personal_read` row (people.represent.audit_read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.access import Access, audit
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.models import AuditRecord
from people import identity
from people.models import Enterprise, IncidentLink, Person
from people.represent import audit_read

MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Targets:
    person_id: int | None
    enterprise_id: int | None


def _id(value: Any, field: str) -> int:
    text = str(value).strip()
    if isinstance(value, int) or (text.isascii() and text.isdigit()):
        number = int(text)
        if 1 <= number <= MAX_ID:
            return number
    raise InvalidInput(f"{field}: expected a record id (1-{MAX_ID}), got {value!r}", field=field)


class PeopleLinker:
    def check(self, access: Access, given: dict[str, Any]) -> Targets:
        person_id = enterprise_id = None
        if "person" in given:
            if not access.personal_data:
                raise Forbidden(f"person: {access.username} may not name a person (the personal-data right is "
                                "needed)", field="person")
            pk = _id(given["person"], "person")
            if not Person.objects.within(access.scope).filter(pk=pk).exists():
                raise NotFound(f"person: no person {pk} in your area", field="person")
            person_id = pk
        if "enterprise" in given:
            value = given["enterprise"]
            found = Enterprise.objects.within(access.scope)
            if isinstance(value, str) and len(value.strip()) == 18:
                code = identity.normalize_credit_code(value, field="enterprise")
                enterprise_id = found.filter(credit_code=code).values_list("pk", flat=True).first()
            else:
                enterprise_id = found.filter(pk=_id(value, "enterprise")).values_list("pk", flat=True).first()
            if enterprise_id is None:
                raise NotFound(f"enterprise: no enterprise {value} in your area", field="enterprise")
        return Targets(person_id, enterprise_id)

    def store(self, access: Access, incident_id: int, resolved: Targets) -> None:
        IncidentLink.objects.create(incident_id=incident_id, person_id=resolved.person_id,
                                    enterprise_id=resolved.enterprise_id, linked_by=access.username)
        audit(access, AuditRecord.Action.PEOPLE_CHANGE, target=f"incident:{incident_id}",
              detail={"incident": incident_id, "linked": {"person": resolved.person_id,
                                                          "enterprise": resolved.enterprise_id}}, rows=1)

    def describe(self, access: Access, incident_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Per incident: `enterprise` (public fields and its API link) for every viewer, when inside the
        caller's scope; `person` (id and API link) only for callers with the right and the person inside
        their scope. One `personal_read` row names every person shown. Absent when not linked. Three
        queries for any number of incidents (a page of the list)."""
        links = list(IncidentLink.objects.select_related("enterprise__building")
                     .filter(incident_id__in=incident_ids))
        if not links:
            return {}
        enterprises = {link.enterprise_id for link in links if link.enterprise_id is not None}
        visible_enterprises = set(Enterprise.objects.within(access.scope).filter(pk__in=enterprises)
                                  .values_list("pk", flat=True)) if enterprises else set()
        people = {link.person_id for link in links if link.person_id is not None}
        visible_people = set(Person.objects.within(access.scope).filter(pk__in=people).values_list("pk", flat=True)
                             ) if people and access.personal_data else set()
        out: dict[int, dict[str, Any]] = {}
        for link in links:
            props: dict[str, Any] = {}
            e = link.enterprise
            if e is not None and e.pk in visible_enterprises:
                props["enterprise"] = {"id": e.pk, "credit_code": e.credit_code, "name": e.name, "kind": e.kind,
                                       "building": e.building.address_code, "href": f"/api/enterprises/{e.pk}"}
            if link.person_id in visible_people:
                props["person"] = {"id": link.person_id, "href": f"/api/people/{link.person_id}"}
            if props:
                out[link.incident_id] = props
        shown = sorted({p["person"]["id"] for p in out.values() if "person" in p})
        if shown:
            audit_read(access, "person", shown)
        return out


LINKER = PeopleLinker()
