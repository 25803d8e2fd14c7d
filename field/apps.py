from django.apps import AppConfig


class FieldConfig(AppConfig):
    """Field work (issue 19): patrol tracks uploaded from phones, visits, cameras and video patrols."""

    name = "field"
    verbose_name = "field work 走访巡查"

    def ready(self) -> None:
        from field import dashboards, videopatrols
        from field.openapi import PATHS
        from geo.openapi import provide_paths
        from layers.dashboards import sections
        from layers.figures import stats

        provide_paths(lambda: PATHS)
        # The figure "video patrols" in /api/stats/<code> (over the asked period) and on the dashboards.
        stats.provide_section("video_patrols", videopatrols.stats_section, period=True)
        sections.provide(dashboards.panel)
