from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    """Shared plumbing: geometry parsing and validation, CRS handling, errors, access, health."""

    name = "geo"
    verbose_name = _("Users, tokens and audit")

    def ready(self) -> None:
        from geo import signals  # noqa: F401  (connects the audit receivers)
