"""The safety index and the three-zero units as export layers (/api/export/, export_layer) and OGC API -
Features collections (/ogc/), registered into layers' registries in AnalysisConfig.ready() (layers may
not import analysis).

One definition: the rows are analysis.index.compute's Scores and analysis.threezero's verdicts, as the
API answers them (`Score.as_dict()`, `Unit.as_dict()`: the same rounding, the same sentences), handed to
PostGIS as arrays and joined to the current boundaries, so a file, a feature and /api/analysis/… say the
same thing. Nothing is computed a second time and nothing is stored.

Who gets what: the caller's area scope (and the `area` filter) is the prefix of the units listed; a
department account's selection is narrowed to its department (filters.department), and the index and the
verdicts count every matter of a unit, so it gets no row, as on the tiles. No personal field: a
three-zero row names the matter that broke a unit by its number, class and day only.
"""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone

from analysis import index, threezero
from geo.errors import InvalidInput
from geo.kept import Keeper
from grids.models import Area
from layers.exports.query import ExportQuery
from layers.exports.registry import BOOL, DATE, DATETIME, FLOAT, INT, JSON, TEXT, Column, ExportLayer, Option
from layers.ogc.collections import Collection

# The index of every unit under a prefix for some months, kept as the choropleth's month map is: an ended
# month's 10 minutes, the running month's 1 minute (an OGC client pages through the same rows).
_SCORES = Keeper("index export", 600.0, max_entries=64)

AREAS = """JOIN grids_area a ON a.code = s.code AND a.valid_from <= %(x_today)s
                                         AND (a.valid_to IS NULL OR a.valid_to > %(x_today)s)"""


def _roots(prefix: str | None) -> list[str]:
    """The units whose subtrees hold the rows: the prefix, or the tops of the tree (every province, and any
    county loaded without one), so the cities' and provinces' rows are there too."""
    if prefix:
        return [prefix]
    return list(Area.objects.current().filter(parent__isnull=True, level__lte=1).order_by("code")
                .values_list("code", flat=True))


def _nothing(q: ExportQuery) -> bool:
    # No overlap of scope and area filter, or a department's narrowed selection: no row.
    return q.prefix is False or bool(q.filters.department)


# ------------------------------------------------------------------------------------------ the index

def check_index(options: dict[str, str]) -> None:
    if "period" in options:
        index.months_of(options["period"])  # 400 naming `period`


def index_months(q: ExportQuery) -> list[dt.date]:
    """The months of `period` (a month, quarter or year), default the 12 months ending this month."""
    if q.option("period"):
        return index.months_of(q.option("period"))
    this = timezone.localdate().replace(day=1)
    n = this.year * 12 + this.month - 12
    return index.month_range(dt.date(n // 12, n % 12 + 1, 1), this)


def index_rows(prefix: str | None, months: list[dt.date]) -> list[dict]:
    """Score.as_dict() of every county, township and village under the prefix, each month."""
    this = timezone.localdate().replace(day=1)

    def compute() -> list[dict]:
        out = []
        for root in _roots(prefix):
            for (code, _month), score in sorted(index.compute(root, months).items(), key=lambda kv: (kv[0][1],
                                                                                                  kv[0][0])):
                if code.startswith(prefix or ""):
                    out.append(score.as_dict())
        return out

    ttl = 60.0 if months[-1] >= this else 600.0
    return _SCORES.get((prefix or "", tuple(months)), compute, seconds=ttl)


def index_source(q: ExportQuery) -> tuple[str, dict]:
    rows = [] if _nothing(q) or (q.prefix and len(q.prefix) > 12) else index_rows(q.prefix, index_months(q))
    level = " AND a.level = %(x_level)s" if q.level is not None else ""
    sql = f"""
        SELECT s.code || '-' || s.month AS fid, s.code, a.name, a.level, s.month, s.score, s.band, s.version, s.why,
               s.parts::json AS parts, a.boundary AS geom
        FROM unnest(%(ix_codes)s::text[], %(ix_months)s::text[], %(ix_scores)s::float8[], %(ix_bands)s::text[],
                    %(ix_versions)s::text[], %(ix_why)s::text[], %(ix_parts)s::text[])
             AS s(code, month, score, band, version, why, parts)
             {AREAS}
        WHERE true{level}{q.where("s.code", "a.boundary", "s.code || '-' || s.month")}"""
    return sql, {"ix_codes": [r["code"] for r in rows], "ix_months": [r["period"] for r in rows],
                 "ix_scores": [r["score"] for r in rows], "ix_bands": [r["band"] for r in rows],
                 "ix_versions": [r["version"] for r in rows], "ix_why": [r["why"] for r in rows],
                 "ix_parts": [json.dumps(r["parts"], ensure_ascii=False) for r in rows]}


INDEX_COLUMNS = (
    Column("code", TEXT, "area code: province (2), city (4), county (6), township (9) or village (12)"),
    Column("name", TEXT),
    Column("level", INT, "-1 province, 0 city, 1 county, 2 township/street, 3 village/community"),
    Column("month", TEXT, "YYYY-MM"),
    Column("score", FLOAT, "0-100, higher is safer; empty when no input has a value"),
    Column("band", TEXT, "green, amber or red (the weight version's bands)"),
    Column("version", TEXT, "the weight version in force: its first month"),
    Column("why", TEXT, "one sentence: the score, its band and the inputs that lost the most points"),
    Column("parts", JSON, "the breakdown: each input's key, label, value, sub_score, weight, points, lost and "
                          "share of the score (JSON; a Shapefile keeps its first 254 bytes)"),
)

PERIOD = Option("period", "the safety index: a month YYYY-MM, a quarter YYYY-Qn or a year YYYY, one row per unit "
                          "and month (default: the 12 months ending this month)",
                "^(?:19|20|21)[0-9]{2}(?:-(?:0[1-9]|1[0-2]|Q[1-4]))?$")

INDEX_LAYER = ExportLayer(
    "safety_index", "Safety index 平安指数",
    "The monthly safety index of provinces, cities, counties, townships and villages with its breakdown, one row "
    "per unit and month (analysis.index, as /api/analysis/index/); `period` picks the months, `level` -1 to 3 one "
    "level; none for a department account", "MultiPolygon", INDEX_COLUMNS, index_source, levels=(-1, 0, 1, 2, 3),
    options=(PERIOD,), check_options=check_index)


# ------------------------------------------------------------------------------------- three-zero units

def _year(options: dict[str, str]) -> tuple[int, bool]:
    raw = options.get("year") or str(timezone.localdate().year)
    if not raw.isascii() or not raw.isdigit() or len(raw) != 4:
        raise InvalidInput(f"year: expected a year such as 2026, got {raw!r}", field="year")
    ytd = options.get("ytd", "")
    if ytd not in ("", "0", "1", "true", "false"):
        raise InvalidInput("ytd: expected 0 or 1", field="ytd")
    threezero.period_of(int(raw), False)  # 400 naming `year` for a year that has not begun
    return int(raw), ytd in ("1", "true")


def check_threezero(options: dict[str, str]) -> None:
    _year(options)


def threezero_source(q: ExportQuery) -> tuple[str, dict]:
    year, ytd = _year(dict(q.options))
    units = []
    if not _nothing(q) and not (q.prefix and len(q.prefix) > 12):
        for root in _roots(q.prefix or None):
            units += [u for code, u in sorted(threezero.verdicts(root, year, ytd=ytd).items())
                      if code.startswith(q.prefix or "")]
    rows = [u.as_dict() for u in units]
    firsts = [min(r["broken"], key=lambda b: (b["reported_at"], b["incident"])) if r["broken"] else None
              for r in rows]
    level = " AND a.level = %(x_level)s" if q.level is not None else ""
    sql = f"""
        SELECT s.code AS fid, s.code, a.name, a.level, s.period, s.since::date AS since, s.until::date AS until,
               s.three_zero, s.broken, s.first_incident, s.first_at::timestamptz AS first_at, s.criteria,
               s.breaks::json AS breaks, s.sentence, a.boundary AS geom
        FROM unnest(%(tz_codes)s::text[], %(tz_periods)s::text[], %(tz_since)s::text[], %(tz_until)s::text[],
                    %(tz_flags)s::boolean[], %(tz_broken)s::int[], %(tz_first)s::bigint[], %(tz_at)s::text[],
                    %(tz_criteria)s::text[], %(tz_breaks)s::text[], %(tz_sentences)s::text[])
             AS s(code, period, since, until, three_zero, broken, first_incident, first_at, criteria, breaks, sentence)
             {AREAS}
        WHERE true{level}{q.where("s.code", "a.boundary", "s.code")}"""
    return sql, {"tz_codes": [r["code"] for r in rows], "tz_periods": [r["period"] for r in rows],
                 "tz_since": [r["since"] for r in rows], "tz_until": [r["until"] for r in rows],
                 "tz_flags": [r["three_zero"] for r in rows], "tz_broken": [len(r["broken"]) for r in rows],
                 "tz_first": [f["incident"] if f else None for f in firsts],
                 "tz_at": [f["reported_at"] if f else None for f in firsts],
                 "tz_criteria": [",".join(b["criterion"] for b in r["broken"]) for r in rows],
                 "tz_breaks": [json.dumps(r["broken"], ensure_ascii=False) for r in rows],
                 "tz_sentences": [r["sentence"] for r in rows]}


THREEZERO_COLUMNS = (
    Column("code", TEXT, "area code: province (2), city (4), county (6), township (9) or village (12)"),
    Column("name", TEXT),
    Column("level", INT, "-1 province, 0 city, 1 county, 2 township/street, 3 village/community"),
    Column("period", TEXT, "the year, or the year to date (2026 YTD)"),
    Column("since", DATE, "first day of the period"),
    Column("until", DATE, "last day of the period"),
    Column("three_zero", BOOL, "no matter of the period matched an active three-zero rule", shp="three_zero"),
    Column("broken", INT, "how many criteria were broken (0-3)"),
    Column("first_incident", INT, "number of the first matter that broke the unit", shp="first_inc"),
    Column("first_at", DATETIME, "when that matter was reported", shp="first_at"),
    Column("criteria", TEXT, "the criteria broken: petition, accident, criminal (comma-separated)"),
    Column("breaks", JSON, "per criterion the first matter that broke it: rule, incident, reported_at, category, "
                           "subcategory, severity, grid (JSON)"),
    Column("sentence", TEXT, "the verdict in one sentence", shp="sentence"),
)

THREEZERO_LAYER = ExportLayer(
    "threezero", "Three-zero units 三零单位",
    "Provinces, cities, counties, townships and villages, three-zero (三零) or not for a year or the year to "
    "date, with the first matter that broke each (analysis.threezero, as /api/analysis/threezero/); `year`, "
    "`ytd`, `level` -1 to 3; none for a department account", "MultiPolygon", THREEZERO_COLUMNS, threezero_source,
    levels=(-1, 0, 1, 2, 3),
    options=(Option("year", "the three-zero units' year (default: this year)", "^(?:19|20|21)[0-9]{2}$"),
             Option("ytd", "1: the year to date (this year's is to today)", "^(?:0|1|true|false)$")),
    check_options=check_threezero)

COLLECTIONS = [
    Collection("safety_index_provinces", "Safety index per province 省平安指数", "safety_index", -1,
               "The monthly safety index of each province (the formula over its villages' summed inputs); period "
               "YYYY-MM, YYYY-Qn or YYYY"),
    Collection("safety_index_cities", "Safety index per city 市平安指数", "safety_index", 0,
               "The monthly safety index of each city (the formula over its villages' summed inputs); period as "
               "above"),
    Collection("safety_index_counties", "Safety index per county 县平安指数", "safety_index", 1,
               "The monthly safety index of each county with its breakdown; period as above"),
    Collection("safety_index_townships", "Safety index per township 乡镇平安指数", "safety_index", 2,
               "The monthly safety index of each township with its breakdown; period YYYY-MM, YYYY-Qn or YYYY"),
    Collection("safety_index_villages", "Safety index per village 村（社区）平安指数", "safety_index", 3,
               "The monthly safety index of each village/community with its breakdown; period as above"),
    Collection("threezero_provinces", "Three-zero provinces 三零省", "threezero", -1,
               "Provinces three-zero or not for a year (year, ytd): three-zero when every county is"),
    Collection("threezero_cities", "Three-zero cities 三零市", "threezero", 0,
               "Cities three-zero or not for a year (year, ytd): three-zero when every county is"),
    Collection("threezero_counties", "Three-zero counties 三零县", "threezero", 1,
               "Counties three-zero or not for a year (year, ytd), with the first matter that broke each"),
    Collection("threezero_townships", "Three-zero townships 三零乡镇", "threezero", 2,
               "Townships three-zero or not for a year (year, ytd), with the first matter that broke each"),
    Collection("threezero_villages", "Three-zero villages 三零村（社区）", "threezero", 3,
               "Villages/communities three-zero or not for a year (year, ytd), with the first matter that broke each"),
]
