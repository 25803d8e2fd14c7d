from django.contrib import messages
from django.contrib.gis import admin
from django.db import transaction
from django.utils import timezone

from geo.access import audit
from geo.models import AuditRecord
from grids.widgets import MapAdmin
from layers.incidents import links, workdays
from layers.models import Building, CalendarOverride, Department, Incident, IncidentEvent, Place, Room, TimeLimit


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Building)
class BuildingAdmin(MapAdmin):
    list_display = ("address_code", "name", "street", "use", "floors", "grid")
    list_filter = ("use",)
    search_fields = ("address_code", "name", "street")
    readonly_fields = ("grid",)
    inlines = [RoomInline]


@admin.register(Place)
class PlaceAdmin(MapAdmin):
    list_display = ("code", "kind", "name", "grid")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    readonly_fields = ("grid",)


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    readonly_fields = ("action", "from_status", "to_status", "at", "actor", "note")
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(MapAdmin):
    list_display = ("id", "category", "subcategory", "severity", "status", "grid", "reported_at", "due_at")
    list_filter = ("status", "category", "severity", "source")
    search_fields = ("id", "client_id", "grid__code", "description")
    date_hierarchy = "reported_at"
    # The loop's steps go through the API (layers/incidents/loop.py), which checks, logs and audits each one; the
    # admin shows them but does not let anyone skip a step.
    readonly_fields = ("grid", "dedicated_grid", "status", "accepted_at", "dispatched_at", "started_at",
                       "resolved_at", "verified_at", "closed_at", "returned_at", "escalated_at", "extended_at",
                       "due_at", "accept_due_at", "limit_note")
    raw_id_fields = ("building", "duplicate_of", "reporter_worker", "assignee")
    inlines = [IncidentEventInline]

    def get_inlines(self, request, obj):
        # And what the apps above layers keep of an incident (people: the person or enterprise it concerns).
        return [*self.inlines, *links.INLINES]


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    """The time-limit table: edits apply to the next report (due times already set are not moved)."""

    list_display = ("category", "severity", "accept_days", "handle_days", "extend_days", "unit", "from_acceptance",
                    "basis")
    list_editable = ("accept_days", "handle_days", "extend_days", "unit", "from_acceptance")
    list_filter = ("category", "unit")


def uncovered_warning(today=None) -> str:
    """The message naming this year and next if the holiday calendar does not cover them (or '')."""
    year = (today or timezone.localdate()).year
    missing = workdays.uncovered_years(year, year + 1)
    if not missing:
        return ""
    years = ", ".join(map(str, missing))
    return (f"The working-day calendar does not cover {years}: {workdays.LIBRARY} knows "
            f"{min(workdays.LIBRARY_YEARS)}-{max(workdays.LIBRARY_YEARS)}. Working-day time limits that reach "
            f"{years} are counted as calendar days (the incident says so) until the year's holidays and 调休 "
            "working days are entered here, or the chinesecalendar package is updated.")


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """Days over the chinesecalendar package: a year it does not know, or a day it gets wrong. Each change
    is audited; working-day limits use it within seconds (limits already set are not moved)."""

    list_display = ("date", "kind", "note", "updated_at")
    list_filter = ("kind",)
    search_fields = ("note",)
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        warning = uncovered_warning()
        if warning:
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit(request.user, AuditRecord.Action.CALENDAR_CHANGE, target=str(obj.date), request=request,
                  detail={"change": "edit" if change else "add", "kind": obj.kind, "note": obj.note,
                          "fields": sorted(form.changed_data)})

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            audit(request.user, AuditRecord.Action.CALENDAR_CHANGE, target=str(obj.date), request=request,
                  detail={"change": "delete", "kind": obj.kind, "note": obj.note})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                audit(request.user, AuditRecord.Action.CALENDAR_CHANGE, target=str(obj.date), request=request,
                      detail={"change": "delete", "kind": obj.kind, "note": obj.note})
            super().delete_queryset(request, queryset)
            workdays.forget()
@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Departments are data: names, contacts and whether they take matters are edited here."""

    list_display = ("code", "name", "kind", "unit", "contact", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")
