"""GET /reports/<code>/<period>.pdf: a unit's monthly, quarterly or yearly report, made on demand.

Scoped (a unit outside the caller's scope is a 404, as on every path), role-checked (the export right:
a report is data leaving the screen, like an export) and audited (one export record per report, and a
personal-data read when the overdue matters carry reporters' names). A bad code or period is a 400
naming the field.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo.access import audit, require
from geo.errors import InvalidInput
from geo.models import AuditRecord
from grids.models import get_area
from layers.incidents.filters import CODE_RE
from layers.incidents.represent import audit_personal_read
from reports import content, pdf, periods


def make(access, code: str, period_text: str) -> tuple[content.Report, bytes]:
    """The report of `code` for `period_text` as this caller may see it, and its PDF."""
    if not CODE_RE.fullmatch(code):
        raise InvalidInput(_("code: expected an area code (2, 4, 6, 9, 12, 15 or 16 digits), got {code!r}").format(
            code=code), field="code")
    period = periods.parse(period_text)
    area = get_area(code, access.scope)
    report = content.gather(access, area, period)
    return report, pdf.build(report)


@require_GET
def report(request: HttpRequest, code: str, period: str) -> HttpResponse:
    access = require(request, "export")
    made, body = make(access, code, period)
    audit(access, AuditRecord.Action.EXPORT, target=f"report {made.area.code} {made.period.text}",
          detail={"report": made.period.text, "area": made.area.code, "bytes": len(body),
                  "personal": made.personal}, rows=len(made.overdue), request=request)
    audit_personal_read(access, [m["incident"] for m in made.overdue])
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{made.area.code}-{made.period.text}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
