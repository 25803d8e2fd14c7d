from django.apps import AppConfig


class GeoConfig(AppConfig):
    """Shared spatial plumbing: geometry parsing and validation, CRS handling, errors, health."""

    name = "geo"
    verbose_name = "Gridmap core"
