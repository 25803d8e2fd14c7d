from django.apps import AppConfig


class LayersConfig(AppConfig):
    """Buildings and rooms, incidents and their closed loop, places; exports and dashboards."""

    name = "layers"
    verbose_name = "Map layers 图层"
