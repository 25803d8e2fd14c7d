from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    """民情: people, households, enterprises and key groups on the unified address (issue 18)."""

    name = "people"
    verbose_name = _("People and enterprises")

    def ready(self) -> None:
        # /api/stats/<code> and the area detail carry the people counts: layers may not import people, so
        # people hands its section to layers' figures (as layers hands its routes to geo.openapi).
        from geo import openapi
        from grids import areas
        from layers.dashboards import sections
        from layers.figures import stats
        from layers.incidents import links
        from people import dashboards
        from people.counts import detail_section, stats_section
        from people.links import LINKER
        from people.views import openapi_paths

        stats.provide_section("people", stats_section)
        openapi.provide_paths(openapi_paths)
        areas.provide_detail_section("people", detail_section)
        sections.provide(dashboards.panel)
        # Intake's `person` and `enterprise` fields and the incident's links to them (people/links.py).
        links.provide(LINKER)
        # The counts as an export layer and OGC collections (people/exports.py).
        from layers.exports import registry as export_registry
        from layers.ogc import collections as ogc_collections
        from people import exports

        export_registry.provide(exports.LAYER)
        ogc_collections.provide(*exports.COLLECTIONS)
