"""The command desk's figures, added up from its small tables joined to the period's cohort.

Like counts.py, every figure counts the incidents reported in [since, until) under a grid-code prefix
(narrowed to a department's open dispatches for a department account), as of the period's end or now,
with the definitions of sql/functions/30_desk.sql:

    departments   per department: received (dispatches as lead), co-handled, closed and closed on
                  time (lead parts still held when the matter closed), returned by the department
    supervision   supervised (督办, listed included), listed (挂牌督办), supervision overdue, reminders
    escalation    escalated to a village, township or the county joint group (the highest level reached),
                  and of the closed: resolved inside the grid (never escalated) and inside the village
                  (escalated no higher than the village)
    mediation     per route: referred, succeeded (agreement), partial, failed (and where they went next),
                  pending; follow-up visits done and overdue

The tables hold a few per cent of the matters, and each row carries a copy of its incident's grid
code, report, closing and due times (layers/desk/models.py CohortCopy, kept by the database), so each
block is one statement over one small table, through its (grid_code, reported_at) index, never
reading the incident table: a county's year is ~100,000 desk rows at full scale, not 500,000
incidents. Every block groups by `left(grid_code, n)` so a unit's children come out of the same
statement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geo import sql
from geo.scope import county_sql
from layers.figures.counts import LEVEL_LENGTH, Selection, _month_start, local_midnight

ROUTES = ("people", "administrative", "judicial", "industry", "court_referred")


def _where(sel: Selection, alias: str = "i") -> tuple[str, dict[str, Any]]:
    """The cohort under the prefix (and a department's narrowing), as conditions on a desk row's copy of
    its incident's columns (`alias` is the desk table)."""
    parts = [f"{alias}.grid_code LIKE %(d_prefix)s"]
    params: dict[str, Any] = {"d_prefix": sel.prefix + "%", "d_at": sel.at(), "d_department": sel.department}
    if sel.since:
        parts.append(f"{alias}.reported_at >= %(d_since)s")
        params["d_since"] = sel.since
    if sel.until:
        parts.append(f"{alias}.reported_at < %(d_until)s")
        params["d_until"] = sel.until
    if sel.dedicated:  # a dedicated grid's few incidents, through the partial index incident_dedicated
        parts.append(f"{alias}.incident_id IN (SELECT z.id FROM layers_incident z "
                     f"WHERE z.dedicated_code = %(d_dedicated)s{county_sql('z.county_code', sel.dedicated)})")
        params["d_dedicated"] = sel.dedicated
    if sel.department:
        parts.append(f"{alias}.incident_id IN (SELECT x.incident_id FROM layers_dispatch x "
                     f"WHERE x.department_code = %(d_department)s AND x.ended_at IS NULL)")
    return " AND ".join(parts), params


def _group(level: int | None, alias: str) -> str:
    return "''::text" if level is None else f"left({alias}.grid_code, {LEVEL_LENGTH[level]})"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def departments(sel: Selection) -> list[dict[str, Any]]:
    """Each department's figures for the selection, best first (closure rate, then on-time rate)."""
    where, params = _where(sel, "d")
    rows = sql.rows(f"""
        SELECT d.department_code AS code, dep.name, dep.kind, dep.unit_code,
               count(*) FILTER (WHERE d.role = 'lead') AS received,
               count(*) FILTER (WHERE d.role = 'co') AS co_handled,
               count(*) FILTER (WHERE d.role = 'lead' AND desk_dispatch_held(d.ended_at, %(d_at)s)
                                  AND figures_closed(d.closed_at, %(d_at)s)) AS closed,
               count(*) FILTER (WHERE d.role = 'lead' AND desk_dispatch_held(d.ended_at, %(d_at)s)
                                  AND figures_on_time(d.closed_at, d.due_at, %(d_at)s)) AS on_time,
               count(*) FILTER (WHERE desk_dispatch_returned(d.ended_at, d."end", %(d_at)s)) AS returned
        FROM layers_dispatch d
        JOIN layers_department dep ON dep.code = d.department_code
        WHERE d.dispatched_at <= %(d_at)s AND {where}
        GROUP BY 1, 2, 3, 4""", params)
    out = []
    for r in rows:
        out.append({"code": r["code"], "name": r["name"], "kind": r["kind"], "unit": r["unit_code"],
                    "received": r["received"], "co_handled": r["co_handled"], "closed": r["closed"],
                    "closed_on_time": r["on_time"], "returned": r["returned"],
                    "closure_rate": _rate(r["closed"], r["received"]),
                    "on_time_rate": _rate(r["on_time"], r["closed"])})
    out.sort(key=lambda d: (-(d["closure_rate"] or 0), -(d["on_time_rate"] or 0), -d["received"], d["code"]))
    for rank, d in enumerate(out, 1):
        d["rank"] = rank
    return out


def supervision(sel: Selection, level: int | None = None) -> dict[str, dict[str, int]]:
    """{area: supervised, listed, supervision_overdue, supervised_closed, reminders}."""
    where, params = _where(sel, "s")
    rows = sql.rows(f"""
        SELECT {_group(level, 's')} AS area_code, count(*) AS supervised,
               count(*) FILTER (WHERE s.kind = 'listed') AS listed,
               count(*) FILTER (WHERE desk_supervision_overdue(s.closed_at, s.deadline, %(d_at)s))
                   AS supervision_overdue,
               count(*) FILTER (WHERE figures_closed(s.closed_at, %(d_at)s)) AS supervised_closed,
               coalesce(sum(s.reminders), 0)::int AS reminders
        FROM layers_supervision s
        WHERE s.opened_at <= %(d_at)s AND {where}
        GROUP BY 1""", params)
    return {r.pop("area_code"): r for r in rows}


def escalation(sel: Selection, level: int | None = None) -> dict[str, dict[str, int]]:
    """{area: escalated to village / township / county (highest level reached by then), and of the
    closed, those resolved above the grid and above the village}."""
    where, params = _where(sel, "e")
    rows = sql.rows(f"""
        SELECT x.area_code,
               count(*) FILTER (WHERE x.rank = 1) AS escalated_village,
               count(*) FILTER (WHERE x.rank = 2) AS escalated_township,
               count(*) FILTER (WHERE x.rank = 3) AS escalated_county,
               count(*) FILTER (WHERE figures_closed(x.closed_at, %(d_at)s)) AS closed_above_grid,
               count(*) FILTER (WHERE x.rank >= 2 AND figures_closed(x.closed_at, %(d_at)s)) AS closed_above_village
        FROM (SELECT e.incident_id, {_group(level, 'e')} AS area_code, e.closed_at,
                     max(desk_level_rank(e.level)) AS rank
              FROM layers_escalation e WHERE e.at <= %(d_at)s AND {where} GROUP BY 1, 2, 3) x
        GROUP BY 1""", params)
    return {r.pop("area_code"): r for r in rows}


def resolved_levels(closed: int, esc: dict[str, int]) -> dict[str, Any]:
    """The shares of the closed matters resolved inside the grid and inside the village (小事不出格、
    大事不出村), from the unit's closed count and its escalation figures."""
    in_grid = closed - esc.get("closed_above_grid", 0)
    in_village = closed - esc.get("closed_above_village", 0)
    return {"escalated_village": esc.get("escalated_village", 0),
            "escalated_township": esc.get("escalated_township", 0),
            "escalated_county": esc.get("escalated_county", 0),
            "resolved_in_grid": in_grid, "resolved_in_village": in_village,
            "resolved_in_grid_share": _rate(in_grid, closed), "resolved_in_village_share": _rate(in_village, closed)}


def mediation(sel: Selection, level: int | None = None, today: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """{area: {referred, succeeded, partial, failed, pending, success_rate, to_arbitration, to_litigation,
    to_petition, followups_done, followups_overdue, routes: {route: {referred, succeeded, success_rate}}}}.

    The whole local months of the period come from the mediation rollup (MediationRollup), the days
    around them from the rows; a department's narrowing or a dedicated grid counts the rows throughout.
    A mediation's outcome is its current one (its history is the event log)."""
    where, params = _where(sel, "m")
    params["d_today"] = today or sel.at().date()
    group = _group(level, "m")
    raw_select = f"""
        SELECT {group} AS area_code, m.route, m.outcome, m.next_step,
               desk_mediation_succeeded(m.outcome) AS succeeded, count(*) AS n,
               count(m.followed_up_at) AS followed_up
        FROM layers_mediation m WHERE {{where}} GROUP BY 1, 2, 3, 4"""
    m0 = _month_start(sel.since, up=True) if sel.since else None
    m1 = _month_start(sel.until, up=False) if sel.until else None
    rollup = (level is not None and not sel.dedicated and not sel.department
              and len(sel.prefix) <= LEVEL_LENGTH[level] and m0 is not None and m1 is not None and m0 < m1)
    if not rollup:
        parts = [raw_select.format(where=where)]
    else:
        params.update(d_m0=m0, d_m1=m1, d_m0_at=local_midnight(m0), d_m1_at=local_midnight(m1),
                      d_len=LEVEL_LENGTH[level])
        prefix_where = "m.grid_code LIKE %(d_prefix)s"
        parts = [f"""
        SELECT left(r.area_code, %(d_len)s) AS area_code, r.route, r.outcome, r.next_step,
               desk_mediation_succeeded(r.outcome) AS succeeded, sum(r.n) AS n, sum(r.followed_up) AS followed_up
        FROM layers_mediationrollup r
        WHERE r.level = {max(int(level), 1)} AND r.area_code LIKE %(d_prefix)s
              AND r.month >= %(d_m0)s AND r.month < %(d_m1)s
        GROUP BY 1, 2, 3, 4"""]
        if local_midnight(m0) > sel.since:
            parts.append(raw_select.format(
                where=f"{prefix_where} AND m.reported_at >= %(d_since)s AND m.reported_at < %(d_m0_at)s"))
        if local_midnight(m1) < sel.until:
            parts.append(raw_select.format(
                where=f"{prefix_where} AND m.reported_at >= %(d_m1_at)s AND m.reported_at < %(d_until)s"))
    rows = sql.rows(" UNION ALL ".join(parts), params)
    waiting = {r["area_code"]: r["n"] for r in sql.rows(f"""
        SELECT {group} AS area_code, count(*) AS n FROM layers_mediation m
        WHERE m.followed_up_at IS NULL AND m.followup_due < %(d_today)s AND {where} GROUP BY 1""", params)}
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        n = int(r["n"])
        if not n:
            continue
        unit = out.setdefault(r["area_code"], {**EMPTY_MEDIATION, "routes": {}})
        unit["referred"] += n
        unit["followups_done"] += int(r["followed_up"])
        if r["succeeded"]:
            unit["succeeded"] += n
        if r["outcome"] in ("partial", "failed", "pending"):
            unit[r["outcome"]] += n
        if r["next_step"]:
            unit[f"to_{r['next_step']}"] += n
        route = unit["routes"].setdefault(r["route"], {"referred": 0, "succeeded": 0})
        route["referred"] += n
        route["succeeded"] += n if r["succeeded"] else 0
    for code, unit in out.items():
        unit["followups_overdue"] = waiting.get(code, 0)
        unit["success_rate"] = _rate(unit["succeeded"], unit["referred"])
        for route in unit["routes"].values():
            route["success_rate"] = _rate(route["succeeded"], route["referred"])
    return out


EMPTY_MEDIATION = {"referred": 0, "succeeded": 0, "partial": 0, "failed": 0, "pending": 0, "to_arbitration": 0,
                   "to_litigation": 0, "to_petition": 0, "followups_done": 0, "followups_overdue": 0,
                   "success_rate": None, "routes": {}}
EMPTY_SUPERVISION = {"supervised": 0, "listed": 0, "supervision_overdue": 0, "supervised_closed": 0, "reminders": 0}


def desk_figures(sel: Selection, closed: int, key: str = "", level: int | None = None) -> dict[str, Any]:
    """The desk's figures of one unit (key: its code at `level`, or '' for level None) for /api/stats."""
    esc = escalation(sel, level).get(key, {})
    return {"supervision": supervision(sel, level).get(key, dict(EMPTY_SUPERVISION)),
            "escalation": resolved_levels(closed, esc),
            "mediation": mediation(sel, level).get(key, dict(EMPTY_MEDIATION))}
