from django.contrib.gis import admin

from grids.models import Area, Assignment, BoundaryVersion, Worker


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
class AreaAdmin(admin.GISModelAdmin):
    list_display = ("code", "name", "level", "kind", "parent", "valid_from", "valid_to", "illustrative")
    list_filter = ("level", "kind", "illustrative")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    inlines = [BoundaryVersionInline, AssignmentInline]
    gis_widget_kwargs = {"attrs": {"default_zoom": 11}}


@admin.register(BoundaryVersion)
class BoundaryVersionAdmin(admin.GISModelAdmin):
    list_display = ("area", "valid_from", "valid_to", "reason", "author", "recorded_at")
    search_fields = ("area__code", "area__name")
    raw_id_fields = ("area",)


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ("employee_no", "name", "role", "active")
    list_filter = ("role", "active")
    search_fields = ("employee_no", "name")
    inlines = [AssignmentInline]
