from django.apps import AppConfig


class GeoConfig(AppConfig):
    """Shared plumbing: geometry parsing and validation, CRS handling, errors, access, health."""

    name = "geo"
    verbose_name = "Gridmap core"

    def ready(self) -> None:
        from geo import signals  # noqa: F401  (connects the audit receivers)
