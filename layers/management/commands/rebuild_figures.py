"""python manage.py rebuild_figures: re-apply the figures' SQL functions and recount the rollup."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from layers.figures.rebuild import apply_functions, rebuild_figures


class Command(BaseCommand):
    help = ("Re-apply the figures' SQL functions (with the time zone GRIDMAP_TIME_ZONE names) and recount "
            "the incident rollup and the open-matters table from the incidents. Needed after a change of "
            "time zone or a bulk load that bypassed the triggers; the triggers keep them right otherwise.")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        self.stdout.write(f"counting local months in {settings.TIME_ZONE}")
        apply_functions()
        counts = rebuild_figures()
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"rebuilt in {elapsed:.1f} s: " + ", ".join(f"{v:,} rows in {k}" for k, v in counts.items())))
