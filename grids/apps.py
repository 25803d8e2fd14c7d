from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    """Nested areas, boundary history, grid workers; point lookup, coverage and redraws."""

    name = "grids"
    verbose_name = _("Grids")

    def ready(self) -> None:
        from geo import openapi
        from grids.areas import MAX_LIST, MAX_OFFSET

        openapi.provide(MAX_LIST=MAX_LIST, MAX_OFFSET=MAX_OFFSET)  # stated in /api/openapi.json
