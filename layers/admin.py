from django.contrib.gis import admin

from layers.models import Building, Department, Incident, IncidentEvent, Place, Room, TimeLimit


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Building)
class BuildingAdmin(admin.GISModelAdmin):
    list_display = ("address_code", "name", "street", "use", "floors", "grid")
    list_filter = ("use",)
    search_fields = ("address_code", "name", "street")
    readonly_fields = ("grid",)
    inlines = [RoomInline]


@admin.register(Place)
class PlaceAdmin(admin.GISModelAdmin):
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
class IncidentAdmin(admin.GISModelAdmin):
    list_display = ("id", "category", "subcategory", "severity", "status", "grid", "reported_at", "due_at")
    list_filter = ("status", "category", "severity", "source")
    search_fields = ("id", "client_id", "grid__code", "description")
    date_hierarchy = "reported_at"
    # The loop's steps go through the API (layers/incidents/loop.py), which checks, logs and audits each one; the
    # admin shows them but does not let anyone skip a step.
    readonly_fields = ("grid", "dedicated_grid", "status", "accepted_at", "dispatched_at", "started_at",
                       "resolved_at", "verified_at", "closed_at", "returned_at", "escalated_at", "extended_at",
                       "due_at", "accept_due_at")
    raw_id_fields = ("building", "duplicate_of", "reporter_worker", "assignee")
    inlines = [IncidentEventInline]


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    """The time-limit table: edits apply to the next report (due times already set are not moved)."""

    list_display = ("category", "severity", "accept_days", "handle_days", "extend_days", "unit", "basis")
    list_editable = ("accept_days", "handle_days", "extend_days", "unit")
    list_filter = ("category", "unit")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Departments are data: names, contacts and whether they take matters are edited here."""

    list_display = ("code", "name", "kind", "unit", "contact", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")
