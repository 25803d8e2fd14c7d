from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    """Leaders' analysis: the safety index (平安指数), early warnings (预警) and three-zero units (三零)."""

    name = "analysis"
    verbose_name = _("Leaders' analysis")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The panorama and drill-down pages list the month's warnings and offer them as a map layer;
        # layers may not import analysis, so analysis hands its panel over (as people does).
        from analysis import dashboards
        from layers.dashboards import sections

        sections.provide(dashboards.panel)
        sections.provide(dashboards.threezero_panel)
        # The index and the three-zero units as export layers and OGC API collections (analysis/exports.py).
        from analysis import exports
        from layers.exports import registry as export_registry
        from layers.ogc import collections as ogc_collections

        export_registry.provide(exports.INDEX_LAYER)
        export_registry.provide(exports.THREEZERO_LAYER)
        ogc_collections.provide(*exports.COLLECTIONS)
        # A served process imports PySAL before its first request (the early warnings' Gi*: geo/warm.py).
        from analysis import warnings
        from geo import warm

        warm.register(warnings.warm)
