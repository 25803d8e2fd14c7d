from django.apps import AppConfig


class FieldConfig(AppConfig):
    """Field work (issue 19): patrol tracks uploaded from phones, and what they say about coverage."""

    name = "field"
    verbose_name = "field work 走访巡查"

    def ready(self) -> None:
        from field.openapi import PATHS
        from geo.openapi import provide_paths

        provide_paths(lambda: PATHS)
