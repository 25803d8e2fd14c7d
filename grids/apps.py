from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    """Nested areas, boundary history, grid workers; point lookup, coverage and redraws."""

    name = "grids"
    verbose_name = _("Grids")
