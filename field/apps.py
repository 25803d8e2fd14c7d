from django.apps import AppConfig


class FieldConfig(AppConfig):
    """Field work (issue 19): patrol tracks uploaded from phones, visits, cameras and video patrols."""

    name = "field"
    verbose_name = "field work 走访巡查"

    def ready(self) -> None:
        from field import coverage, coverage_api, dashboards, videopanel, videopatrols
        from field.openapi import PATHS
        from geo.openapi import provide_paths
        from grids import areas
        from layers.dashboards import sections
        from layers.figures import ranking, stats

        provide_paths(lambda: PATHS)
        # Coverage in /api/stats/<code>, the area detail, the dashboards and the weekly ranking's score
        # (layers may not import field: field hands its functions over, as people does).
        # A department account sees the matters dispatched to it, not the grid workers' patrols: none of the
        # three is given to it (nor /api/coverage, nor the coverage and tracks tiles).
        stats.provide_section("coverage", coverage_api.stats_section, periodic=True, departments=False)
        areas.provide_detail_section("coverage", coverage_api.detail_section, departments=False)
        sections.provide(dashboards.panel, departments=False)
        ranking.provide_coverage(coverage.worker_shares, coverage.ranking_points, coverage.worker_video_patrols,
                                 coverage.video_points)
        # The figure "video patrols" in /api/stats/<code> (over the asked period) and on the dashboards.
        stats.provide_section("video_patrols", videopatrols.stats_section, periodic=True)
        sections.provide(videopanel.panel)
