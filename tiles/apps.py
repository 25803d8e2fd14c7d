from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    """Vector tiles: layer registry, tile SQL, TileJSON, caching and invalidation."""

    name = "tiles"
    verbose_name = _("Vector tiles")

    def ready(self) -> None:
        from geo.errors import json_paths
        from tiles import fastpath  # noqa: F401  (registers the tile route of geo.fastpath)

        json_paths("/tiles/")
