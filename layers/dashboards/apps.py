from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """The situation-map dashboards (its own app so that its templates and vendored files are found)."""

    name = "layers.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        checks.register(check_basemap_settings)


def check_basemap_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A wrong basemap setting is found at start-up, not by an operator looking at a blank map."""
    from layers.dashboards.basemap import BASEMAPS

    errors = []
    if settings.GRIDMAP_BASEMAP not in BASEMAPS:
        errors.append(checks.Error(f"GRIDMAP_BASEMAP={settings.GRIDMAP_BASEMAP!r} is not one of "
                                   f"{', '.join(BASEMAPS)}", id="dashboards.E001"))
    elif settings.GRIDMAP_BASEMAP == "tianditu" and not settings.GRIDMAP_TIANDITU_KEY:
        errors.append(checks.Error("GRIDMAP_BASEMAP=tianditu needs GRIDMAP_TIANDITU_KEY",
                                   id="dashboards.E002"))
    return errors
