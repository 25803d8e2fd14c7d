from django.apps import AppConfig


class TilesConfig(AppConfig):
    """Vector tiles: layer registry, tile SQL, TileJSON, caching and invalidation."""

    name = "tiles"
    verbose_name = "Vector tiles"
