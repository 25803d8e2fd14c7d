"""What a caller may see of the incidents: the area scope, and for a department account only the
matters with an open dispatch to its department (as lead or co-handler).

The ORM paths (list, detail, events, loop steps, Open311) call `visible()`; the SQL paths (tiles,
exports, OGC, the figures) take the same narrowing as a filter, `layers.incidents.filters.for_access()`
→ `Selection.department` → `counts._conditions()`, whose condition is the same open-dispatch test.
"""

from __future__ import annotations

from geo.access import Access
from layers.desk.models import Dispatch
from layers.models import IncidentQuerySet


def visible(access: Access, incidents: IncidentQuerySet) -> IncidentQuerySet:
    """`incidents` narrowed to what the caller may see (a department's open dispatches, in its scope)."""
    incidents = incidents.within(access.scope)
    if access.narrowed:
        held = Dispatch.objects.filter(department_id=access.department_code, ended_at__isnull=True)
        incidents = incidents.filter(pk__in=held.values("incident_id"))
    return incidents
