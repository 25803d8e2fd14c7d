"""GET /api/incidents: the incidents in the caller's scope, filtered, newest first, as a FeatureCollection."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import reduce
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from geo.access import Access
from geo.errors import InvalidInput, NotFound
from layers.desk.scope import visible
from layers.incidents import inputs, links
from layers.incidents.filters import CODE_RE, effective_prefix, for_access, parse_filters
from layers.incidents.represent import audit_personal_read, for_response, incident_feature
from layers.models import Incident, IncidentEvent

MAX_LIMIT = 1000


def list_incidents(access: Access, params: Mapping[str, Any]) -> dict[str, Any]:
    """Filters: area (code prefix), status, category, overdue=1, flag (accept_overdue, due_soon: any of),
    supervision (supervised, listed, overdue), department (a department's code), since/until (reported),
    limit, offset.

    Every parameter is checked first; then an area filter that does not overlap the caller's scope answers
    an empty page without a query: two disjoint prefixes (grid_code LIKE '419001103%' AND LIKE
    '419001104%') match nothing, but PostgreSQL only learns that by scanning the scope's incidents
    (7.7 s at 5M incidents).
    """
    area = params.get("area") or None
    # An area code as the API documents it (6, 9, 12, 15 or 16 ASCII digits: str.isdigit() also takes '²');
    # fullmatch: CODE_RE's $ would let "419001\n" through. effective_prefix expects plain code digits.
    if area is not None and not CODE_RE.fullmatch(area):
        raise InvalidInput(_("area: expected an area code (2, 4, 6, 9, 12, 15 or 16 digits), got {area!r}").format(
            area=area), field="area")
    status = inputs.choice(params, "status", Incident.Status)
    category = inputs.choice(params, "category", Incident.Category)
    since = inputs.moment(params.get("since"), "since")
    until = inputs.moment(params.get("until"), "until", end_of_day=True)
    limit = inputs.integer(params, "limit", low=1, high=MAX_LIMIT) or 100
    offset = inputs.integer(params, "offset", low=0, high=10**9) or 0
    checked = parse_filters({k: params.get(k) or "" for k in ("flag", "supervision", "department")})
    desk = for_access(checked, access)
    prefix = effective_prefix(access.scope, area)
    if prefix is False:
        return {"type": "FeatureCollection", "features": [], "limit": limit, "offset": offset}
    incidents = visible(access, for_response()).within(prefix)
    if status:
        incidents = incidents.filter(status=status)
    if category:
        incidents = incidents.filter(category=category)
    now = timezone.now()
    if params.get("overdue") in {"1", "true", "yes"}:
        incidents = incidents.overdue(now)
    if checked.flags:
        terms = {"accept_overdue": Incident.objects.accept_overdue_q, "due_soon": Incident.objects.due_soon_q}
        incidents = incidents.filter(reduce(operator.or_, (terms[flag](now) for flag in checked.flags)))
    if desk.department:
        incidents = incidents.filter(dispatches__department_id=desk.department,
                                     dispatches__ended_at__isnull=True).distinct()
    if desk.supervision:
        incidents = incidents.filter(supervision__isnull=False)
        if desk.supervision == "listed":
            incidents = incidents.filter(supervision__kind="listed")
        elif desk.supervision == "overdue":
            incidents = incidents.filter(Incident.objects.supervision_overdue_q(now))
    if since:
        incidents = incidents.filter(reported_at__gte=since)
    if until:
        incidents = incidents.filter(reported_at__lt=until)
    page = list(incidents.order_by("-reported_at", "-id")[offset:offset + limit])
    audit_personal_read(access, page)
    # The person or enterprise each names, for this caller (layers.incidents.links): one audit row for
    # the persons shown on the page.
    features = links.add_to([incident_feature(i, access, now) for i in page], access)
    return {"type": "FeatureCollection", "features": features, "limit": limit, "offset": offset}


def visible_incident(access: Access, pk: int) -> Incident:
    """One incident in the caller's scope; outside it, or absent, a 404 that says nothing more."""
    found = visible(access, for_response()).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"no incident {pk}")
    return found


def event_log(access: Access, pk: int) -> list[IncidentEvent]:
    incident = visible_incident(access, pk)
    # With its county (the partition key), the log is read from the incident's county's partition alone; one
    # incident's events in their own order (the default ordering's "incident" would join every partition).
    return list(IncidentEvent.objects.filter(incident_id=pk, county_code=incident.county_code).order_by("at", "id"))
