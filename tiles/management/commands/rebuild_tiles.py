"""python manage.py rebuild_tiles: recompute display geometry, the figures' rollup and tile versions."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from tiles.rebuild import rebuild


class Command(BaseCommand):
    help = ("Recompute the tiles' derived tables from the data (needed only after a bulk load that "
            "bypassed triggers; triggers keep them right otherwise). Invalidates every cached tile.")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        counts = rebuild()
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"rebuilt in {elapsed:.1f} s: " + ", ".join(f"{v} rows in {k}" for k, v in counts.items())))
