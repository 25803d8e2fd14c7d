"""The departments a county's center dispatches to, seeded for a county by `seed_departments` (and by
the demo loader): the bureaus every Chinese county has (玉门 links 37 of them), plus each township's
judicial office (司法所) and police station (派出所), which take most neighbourhood disputes.

Codes are the unit's area code + '-' + a short pinyin abbreviation (419001-SFJ: 济源's 司法局), so a
code says where the department sits and the area scope applies to it by prefix.
"""

from __future__ import annotations

from django.db import transaction

from grids.models import Area
from layers.desk.models import Department

K = Department.Kind
# (abbreviation, kind, name suffix) of the county's bureaus.
COUNTY_BUREAUS = [
    ("SFJ", K.JUSTICE, "司法局"), ("STHJJ", K.ECOLOGY, "生态环境局"), ("ZJJ", K.HOUSING, "住房和城乡建设局"),
    ("JTYSJ", K.TRANSPORT, "交通运输局"), ("NYNCJ", K.AGRICULTURE, "农业农村局"), ("WJW", K.HEALTH, "卫生健康委员会"),
    ("SCJGJ", K.MARKET, "市场监督管理局"), ("YJGLJ", K.EMERGENCY, "应急管理局"), ("GAJ", K.POLICE, "公安局"),
    ("RSJ", K.HUMAN_RESOURCES, "人力资源和社会保障局"), ("ZRZYJ", K.NATURAL_RESOURCES, "自然资源局"),
    ("MZJ", K.CIVIL_AFFAIRS, "民政局"), ("JYJ", K.EDUCATION, "教育局"), ("XFJ", K.PETITIONS, "信访局"),
    ("SLJ", K.WATER, "水利局"), ("CGJ", K.URBAN, "城市管理局"), ("FY", K.COURT, "人民法院"),
]
# (abbreviation, kind, name suffix) of each township's offices.
TOWNSHIP_OFFICES = [("SFS", K.JUSTICE, "司法所"), ("PCS", K.POLICE, "派出所")]


def rows_for(county: Area, townships: list[Area]) -> list[Department]:
    """The departments of a county and its townships (unsaved)."""
    rows = [Department(code=f"{county.code}-{abbr}", name=f"{county.name}{suffix}", kind=kind, unit=county,
                       contact="") for abbr, kind, suffix in COUNTY_BUREAUS]
    rows += [Department(code=f"{t.code}-{abbr}", name=f"{t.name}{suffix}", kind=kind, unit=t, contact="")
             for t in townships for abbr, kind, suffix in TOWNSHIP_OFFICES]
    return rows


def seed(county_code: str) -> int:
    """Create the county's departments that do not exist yet; returns how many were created."""
    county = Area.objects.get(code=county_code, level=1)
    townships = list(Area.objects.current().filter(parent=county, level=2).order_by("code"))
    with transaction.atomic():
        existing = set(Department.objects.filter(unit__code__startswith=county.code).values_list("code", flat=True))
        new = [d for d in rows_for(county, townships) if d.code not in existing]
        Department.objects.bulk_create(new)
    return len(new)
