from django.contrib.gis import admin
from django.urls import reverse
from django.utils.html import format_html

from geo.admin import ReadOnly
from grids.models import Area, Assignment, BoundaryVersion, Worker
from grids.widgets import MapAdmin

# What the admin must not change on an existing area: its identity and place in the tree (children's
# codes and every incident's grid hang on them) and its boundary and validity, which only the planner
# and the split/merge API change, with the coverage check, a new boundary version and the reassignment
# of buildings and open incidents. Editing them here would skip all of that.
LOCKED = ("code", "level", "parent", "valid_from", "valid_to")


class BoundaryVersionInline(admin.TabularInline):
    model = BoundaryVersion
    fields = ("valid_from", "valid_to", "reason", "author", "recorded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ("worker",)


@admin.register(Area)
class AreaAdmin(MapAdmin):
    list_display = ("code", "name", "level", "kind", "parent", "valid_from", "valid_to", "illustrative")
    list_filter = ("level", "kind", "illustrative")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    inlines = [BoundaryVersionInline, AssignmentInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        """Areas are never deleted (a merge end-dates them): deleting one would unplace every incident and
        building it ever held and drop its boundary history."""
        return False

    def get_readonly_fields(self, request, obj=None):
        return (*LOCKED, "boundary_summary") if obj else ()

    def get_exclude(self, request, obj=None):
        return ("boundary",) if obj else ()

    @admin.display(description="boundary")
    def boundary_summary(self, obj: Area) -> str:
        """The boundary's size, and where to change it (a new area is drawn here; an existing one is not)."""
        geom = obj.boundary
        vertices = geom.num_coords if geom else 0
        parts = len(geom) if geom else 0
        planner = reverse("planner", args=[obj.code])
        return format_html(
            "{} part(s), {} vertices. Boundaries change through the <a href=\"{}\">planner</a> (preview, coverage "
            "check, a new boundary version, buildings and open incidents reassigned) or the split and merge API; "
            "docs/grids.md says how.", parts, vertices, planner)


@admin.register(BoundaryVersion)
class BoundaryVersionAdmin(ReadOnly, MapAdmin):
    """Boundary history, to read only. A version is written by the planner's commit, a split or a merge, in
    the same transaction as the area's new boundary, its coverage check and the reassignment of what it
    holds; adding, editing or deleting one here would make `chain_at(point, at=date)` and the audit trail
    tell a history that never happened."""

    list_display = ("area", "valid_from", "valid_to", "reason", "author", "recorded_at")
    search_fields = ("area__code", "area__name")
    fields = ("area", "valid_from", "valid_to", "reason", "author", "recorded_at", "boundary_summary")
    readonly_fields = fields

    @admin.display(description="boundary")
    def boundary_summary(self, obj: BoundaryVersion) -> str:
        geom = obj.boundary
        return format_html("{} part(s), {} vertices", len(geom), geom.num_coords) if geom else "-"


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ("employee_no", "name", "role", "active")
    list_filter = ("role", "active")
    search_fields = ("employee_no", "name")
    inlines = [AssignmentInline]
