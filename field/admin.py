"""The administrator's pages for cameras (a camera is a place with a channel id or stream URL), video patrols
(read-only: they are records of what was done, written by the API) and how often each kind of key place must
be checked (coverage's overdue checks)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from field.channels import check_camera
from field.models import Camera, CheckCadence, VideoPatrol, VideoPatrolCamera
from geo.errors import GridmapError
from grids.widgets import MapAdmin


class CameraForm(forms.ModelForm):
    class Meta:
        model = Camera
        fields = ("code", "name", "channel_id", "stream_url", "department", "location", "attributes")

    def clean(self):
        data = super().clean()
        try:
            data["channel_id"], data["stream_url"] = check_camera(data.get("channel_id"), data.get("stream_url"))
        except GridmapError as exc:
            raise ValidationError({exc.field or "channel_id": exc.message}) from exc
        return data


@admin.register(Camera)
class CameraAdmin(MapAdmin):
    form = CameraForm
    list_display = ("code", "name", "channel_id", "department", "grid")
    list_filter = ("department",)
    search_fields = ("code", "name", "channel_id")
    readonly_fields = ("grid",)
    exclude = ("kind",)


class ViewInline(admin.TabularInline):
    model = VideoPatrolCamera
    extra = 0
    readonly_fields = ("camera", "grid", "started_at")
    can_delete = False


@admin.register(VideoPatrol)
class VideoPatrolAdmin(admin.ModelAdmin):
    list_display = ("started_at", "ended_at", "username", "worker", "incident")
    search_fields = ("username",)
    readonly_fields = ("client_id", "user", "username", "worker", "started_at", "ended_at", "note", "incident",
                       "created_at")
    inlines = [ViewInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CheckCadence)
class CheckCadenceAdmin(admin.ModelAdmin):
    """Kinds of place with a required check cadence; a kind without a row is not a key place for coverage.
    Changes are in the admin's own history (LogEntry)."""

    list_display = ("kind", "every_days")
    ordering = ("kind",)
