from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AddressesConfig(AppConfig):
    """The unified address side: next-number allocation for buildings and rooms, their creation API and
    the import of address registers (import_addresses)."""

    name = "addresses"
    verbose_name = _("Unified addresses")

    def ready(self) -> None:
        from addresses import openapi
        from geo.openapi import provide_paths

        provide_paths(openapi.paths)
