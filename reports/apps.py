from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from geo.errors import json_paths

        json_paths("/reports/")  # a bad code or period answers in the API's JSON error shape
