from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    """Buildings and rooms, incidents and their closed loop, places; exports and dashboards."""

    name = "layers"
    verbose_name = _("Map layers")

    def ready(self) -> None:
        # Describe the placed tables to grids/ (which may not import layers): area counts and the
        # reassignment after a redraw are built from these descriptions.
        from geo.errors import json_paths
        from grids.placed import DependentTable, PlacedTable, register
        from layers.figures import checks  # noqa: F401  (registers the time-zone check)
        from layers.incidents import checks as calendar_checks  # noqa: F401  (registers the calendar check)
        from layers.incidents import fastpath  # noqa: F401  (registers the intake route of geo.fastpath)

        json_paths("/ogc/", "/open311/")
        from geo import openapi
        from layers.exports.query import FORMATS
        from layers.exports.registry import REGISTRY
        from layers.incidents.listing import MAX_LIMIT
        from layers.incidents.loop import STEPS
        from layers.models import Incident

        # What /api/openapi.json states of the incident and export routes (geo may not import layers).
        openapi.provide(Incident=Incident, FORMATS=FORMATS, REGISTRY=REGISTRY, MAX_LIMIT=MAX_LIMIT, STEPS=STEPS)
        from layers.figures.stats import BY_RE

        openapi.provide(STATS_BY=BY_RE.pattern)  # /api/stats' ?by= breakdowns

        open_statuses = ", ".join(f"'{s}'" for s in Incident.OPEN_STATUSES)
        from django.db.models.signals import post_save

        from grids.models import Area
        from layers.partitions import county_created

        # A county created other than by load_demo gets its incident partitions (layers/partitions.py).
        post_save.connect(county_created, sender=Area, dispatch_uid="layers_county_partitions")
        register(PlacedTable("buildings", "layers_building", label_column="address_code"))
        register(PlacedTable("open_incidents", "layers_incident", label_column="id",
                             selection=f"status IN ({open_statuses})", dedicated_column="dedicated_code",
                             county_column="county_code"))
        register(PlacedTable("places", "layers_place", label_column="code"))
        register(DependentTable("rooms", "layers_room", parent="buildings", fk_column="building_id"))
