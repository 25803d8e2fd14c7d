"""Workload per area: the incident figures beside the workers who carry them (tiles' workload layer and
the workload export share this, so a file and the map give the same numbers for the same area).

SQL fragments to follow layers.figures.counts.counts_sql() in one WITH list: they read its `counts`
CTE, its parameters (%(f_prefix)s, %(f_prefix_code)s) and %(len)s, the code length of the areas.
"""

from __future__ import annotations

# The workload figures of an area, from the `counts` (c) and `workers` (w) CTEs.
WORKLOAD_FIELDS = """coalesce(c.intake, 0) AS intake, coalesce(c.open, 0) AS open,
               coalesce(c.overdue, 0) AS overdue, coalesce(c.closed, 0) AS closed,
               coalesce(c.on_time, 0) AS on_time, coalesce(c.accept_overdue, 0) AS accept_overdue,
               coalesce(c.due_soon, 0) AS due_soon, coalesce(w.workers, 0) AS workers,
               CASE WHEN coalesce(w.workers, 0) > 0
                    THEN round((coalesce(c.open, 0)::numeric / w.workers), 2)::float8 END AS open_per_worker"""


def workers_cte(areas: str = "areas") -> str:
    """The `workers` CTE (area_code, workers): distinct workers currently assigned inside each area of
    the `areas` CTE, counted within the selection's prefix."""
    return f"""workers AS (
            SELECT left(s.area_code, %(len)s) AS area_code, count(DISTINCT s.worker_id)::int AS workers
            FROM grids_assignment s
            WHERE s.valid_to IS NULL AND left(s.area_code, %(len)s) IN (SELECT area_code FROM {areas})
                  AND s.area_code LIKE %(f_prefix)s
            GROUP BY 1
        )"""


def scope_or_above(column: str, prefix: str | None) -> str:
    """Areas inside the prefix, or containing it: at township level a grid-scoped user still sees the
    township's row, counting only their grid's incidents."""
    return f" AND ({column} LIKE %(f_prefix)s OR starts_with(%(f_prefix_code)s, {column}))" if prefix else ""
