from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from geo.errors import json_paths

        json_paths("/reports/")  # a bad code or period answers in the API's JSON error shape
        # A served process parses the CJK font (0.9 s) before its first report, not during it (geo/warm.py).
        from geo import warm
        from reports import fonts

        warm.register(fonts.cjk_font)
