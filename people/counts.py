"""The people figures of a unit, read from the people rollup (people_unitcount), for every reader:
/api/stats, the area detail, the people tiles and the dashboards.

Every figure here is defined once: population (people with a current room), households (with a room),
enterprises, key persons by group (open tags, counted where the person lives now), rooms empty /
let / owner-occupied, key persons overdue for follow-up and follow-ups done in the last 30 days
(live, from people/sql/functions/30_followups.sql), and two ratios — residents per km² (the unit's
current boundary, on the sphere: grids_area.area_km2) and residents per grid worker (distinct workers
currently assigned inside the unit).

Small counts: a key group's count between 1 and GRIDMAP_KEY_GROUP_THRESHOLD − 1 would let a reader of a
small grid guess who is on the list, so users without the personal-data right read it as the string
"< 5" (`shown()`); 0 is shown (it reveals nobody). Every path that hands a key-group count to such a
user goes through `shown()`: the API, the tiles (people/tiles.sql), the area detail.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.conf import settings
from django.utils import timezone

from geo import sql
from geo.access import Access
from geo.kept import Keeper
from people.models import KeyGroup

MEASURES = ("population", "households", "enterprises", "rooms_empty", "rooms_let", "rooms_owner")
KEY_MEASURES = tuple(f"key_{g}" for g in KeyGroup.values)


def threshold() -> int:
    return int(getattr(settings, "GRIDMAP_KEY_GROUP_THRESHOLD", 5))


def shown(n: int, access: Access) -> int | str:
    """A key-group count as this caller may read it: "< N" for 1..N−1 without the personal-data right."""
    limit = threshold()
    if not access.personal_data and 0 < n < limit:
        return f"< {limit}"
    return n


def shown_sql(expr: str, personal: bool) -> str:
    """`shown()` for SQL readers (the people export and OGC collections): the count as text, "< N" for
    1..N−1 unless `personal`. The rule and its threshold are these two functions' alone."""
    if personal:
        return f"({expr})::text"
    limit = threshold()
    return f"(CASE WHEN ({expr}) BETWEEN 1 AND {limit - 1} THEN '< {limit}' ELSE ({expr})::text END)"


def raw_counts(codes: list[str]) -> dict[str, dict[str, int]]:
    """{area code: {measure: n}} for the areas named, every measure present (0 if none).

    The rollup keeps counties and below; a city's or a province's counts are its counties' rows added up
    (as the incident figures are, layers/figures/counts.py ROLLUP_TOP): a handful of rows per county, read
    by the rollup's (level, area_code) index, and no row every write of a province would update."""
    out = {code: dict.fromkeys((*MEASURES, *KEY_MEASURES), 0) for code in codes}
    if not codes:
        return out
    for row in sql.rows(f"""
            SELECT area_code, measure, n FROM people_unitcount WHERE area_code = ANY(%(codes)s)
            UNION ALL
            SELECT c.code, u.measure, sum(u.n)::int FROM unnest(%(above)s::text[]) AS c(code)
            JOIN people_unitcount u ON u.level = {COUNTY} AND u.area_code LIKE c.code || '%%'
            GROUP BY 1, 2""", {"codes": codes, "above": [c for c in codes if len(c) < 6]}):
        out[row["area_code"]][row["measure"]] = row["n"]
    return out


COUNTY = 1  # the rollup's top level: a city's and a province's counts add its counties' rows


def population_under(prefix: str, length: int) -> dict[str, int]:
    """{area code: population} of the areas with codes of `length` digits under the prefix, from the
    rollup: the one "residents" of every reader (the safety index's rates per 1,000 residents too), so
    the index and the people layer never count a village's residents two ways."""
    return {r["area_code"]: r["n"] for r in sql.rows(
        "SELECT area_code, n FROM people_unitcount WHERE measure = 'population' AND area_code LIKE %(p)s "
        "AND length(area_code) = %(len)s", {"p": prefix + "%", "len": length})}


def extent(codes: list[str]) -> dict[str, tuple[float, int]]:
    """{code: (km², current workers)} for the areas named: the denominators of the two ratios."""
    if not codes:
        return {}
    found = sql.rows(
        "SELECT a.code, a.area_km2 AS km2, "
        "(SELECT count(DISTINCT s.worker_id) FROM grids_assignment s "
        " WHERE s.valid_to IS NULL AND s.area_code LIKE a.code || '%%') AS workers "
        "FROM grids_area a WHERE a.code = ANY(%(codes)s)", {"codes": codes})
    return {r["code"]: (r["km2"] or 0.0, r["workers"]) for r in found}


# "Follow-ups done" counts the last 30 days up to the moment taken: a month of the most common cadence.
DONE_DAYS = 30


# Now's follow-up figures are kept this long per process (a county's walk over its key persons costs about
# 100-300 ms): a figure read within a minute of a follow-up recorded elsewhere may not show it yet; this
# process's own writes (people.services) drop them at once.
FOLLOW_UP_SECONDS = 60.0
_KEPT = Keeper("follow-up figures", FOLLOW_UP_SECONDS, max_entries=256)


def forget_follow_ups() -> None:
    """After a write that changes them (a follow-up, a tag, a move): this process reads them afresh."""
    _KEPT.forget()


def followup_counts(codes: list[str], at: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """{area code: {key_persons, overdue, done}} at `at` (default: now, kept FOLLOW_UP_SECONDS): the
    key-group tags open then, those overdue for follow-up, and their follow-ups done in the DONE_DAYS
    before it, counted where the person lives; defined once in people/sql/functions/30_followups.sql
    (people_key_followups), one statement."""
    if at is None:
        return _KEPT.get(tuple(codes), lambda: _followup_counts(codes, timezone.now()))
    return _followup_counts(codes, at)


def _followup_counts(codes: list[str], at: dt.datetime) -> dict[str, dict[str, int]]:
    out = {code: {"key_persons": 0, "overdue": 0, "done": 0} for code in codes}
    if not codes:
        return out
    for row in sql.rows(
            "SELECT c.code, sum(k.key_persons) AS key_persons, sum(k.overdue) AS overdue, sum(k.done) AS done "
            "FROM unnest(%(codes)s::text[]) AS c(code) "
            "JOIN people_key_followups(%(p)s, %(at)s, %(since)s) k ON k.grid_code LIKE c.code || '%%' GROUP BY 1",
            {"codes": codes, "p": os.path.commonprefix(codes), "at": at, "since": at - dt.timedelta(days=DONE_DAYS)}):
        out[row["code"]].update(key_persons=int(row["key_persons"]), overdue=int(row["overdue"]), done=int(row["done"]))
    return out


def follow_up_figures(found: dict[str, int], access: Access) -> dict[str, Any]:
    """A unit's follow-up figures as this caller may read them: every count is a key-group count (small ones
    read "< 5" without the right), and the share on cadence is left out when a count it is made of is hidden."""
    total, overdue = found["key_persons"], found["overdue"]
    # The share would give a hidden count back (7 key persons at 5/7 on cadence: 2 overdue), so it shows only
    # when neither count it is made of is hidden.
    visible = access.personal_data or all(shown(n, access) == n for n in (total, overdue))
    return {"key_persons": shown(total, access), "overdue": shown(overdue, access),
            "done_30_days": shown(found["done"], access),
            "on_cadence_share": round((total - overdue) / total, 4) if total and visible else None}


def figures(counts: dict[str, int], km2: float, workers: int, access: Access,
            follow: dict[str, int] | None = None) -> dict[str, Any]:
    """One unit's people figures as the API shows them to this caller."""
    population = counts["population"]
    return {
        "population": population,
        "households": counts["households"],
        "enterprises": counts["enterprises"],
        "rooms": {"empty": counts["rooms_empty"], "let": counts["rooms_let"], "owner_occupied": counts["rooms_owner"]},
        "key_persons": {group: shown(counts[f"key_{group}"], access) for group in KeyGroup.values},
        "area_km2": round(km2, 3),
        "residents_per_km2": round(population / km2, 2) if km2 else None,
        "workers": workers,
        "residents_per_worker": round(population / workers, 1) if workers else None,
        "follow_ups": follow_up_figures(follow or {"key_persons": 0, "overdue": 0, "done": 0}, access),
    }


def unit_people(access: Access, codes: list[str]) -> dict[str, dict[str, Any]]:
    """{code: figures} for areas the caller may read (the caller checked the scope)."""
    counts = raw_counts(codes)
    sizes = extent(codes)
    follow = followup_counts(codes)
    return {code: figures(counts[code], *sizes.get(code, (0.0, 0)), access, follow[code]) for code in codes}


def stats_section(access: Access, area, children: list[str]) -> dict[str, Any]:
    """The `people` part of /api/stats/<code>: the unit's figures, and its children's when asked.

    A dedicated grid (16 digits) holds no rooms of its own in this count (buildings are placed in basic
    grids): its figures are all zero."""
    both = unit_people(access, [area.code, *children])
    body = {"unit": both[area.code], "threshold": threshold()}
    if children:
        body["children"] = {code: both[code] for code in children}
    return body


def detail_section(access: Access, code: str) -> dict[str, Any]:
    """The `people` part of /api/areas/<code> (the caller's scope was checked by the detail)."""
    return unit_people(access, [code])[code]
