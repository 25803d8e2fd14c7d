from django.apps import AppConfig


class GridsConfig(AppConfig):
    """Nested areas, boundary history, grid workers; point lookup, coverage and redraws."""

    name = "grids"
    verbose_name = "Grids 网格"
