"""The classes of matter a report can have, and their Open311 service codes.

Categories are Incident.Category. Disputes have a closed list of sub-classes (the kinds 旌阳 and 济源
count, shared/domain.md), so their figures add up; other categories take a free sub-class (≤ 40
characters). An Open311 service code is "category" or "category.subcategory".
"""

from __future__ import annotations

from layers.models import Incident

DISPUTE_KINDS: dict[str, str] = {
    "marriage_family": "婚姻家庭纠纷",
    "neighbour": "邻里纠纷",
    "property_management": "物业纠纷",
    "land_forest": "山林土地纠纷",
    "labour": "劳动人事纠纷",
    "traffic_accident": "道路交通事故纠纷",
    "medical": "医患纠纷",
    "environmental_pollution": "环境污染纠纷",
    "commercial": "商事纠纷",
    "crop_compensation": "青苗补偿纠纷",
    "other": "其他纠纷",
}

# Sub-classes by category; a category missing here takes any short text.
SUBCATEGORIES: dict[str, dict[str, str]] = {Incident.Category.DISPUTE: DISPUTE_KINDS}
SUBCATEGORY_MAX = Incident._meta.get_field("subcategory").max_length


def check_subcategory(category: str, subcategory: str) -> str | None:
    """None if the sub-class fits the category, else the message saying what would."""
    if len(subcategory) > SUBCATEGORY_MAX:
        return f"subcategory: at most {SUBCATEGORY_MAX} characters"
    allowed = SUBCATEGORIES.get(category)
    if subcategory and allowed is not None and subcategory not in allowed:
        return f"subcategory: {subcategory!r} is not a kind of {category}; use one of {', '.join(allowed)}"
    return None


def service_code(category: str, subcategory: str = "") -> str:
    return f"{category}.{subcategory}" if subcategory else category


def split_service_code(code: str) -> tuple[str, str]:
    category, _, subcategory = code.partition(".")
    return category, subcategory


def services() -> list[dict[str, str]]:
    """Every service code with its names: the categories, then the closed lists of sub-classes."""
    rows = []
    for category, label in Incident.Category.choices:
        rows.append({"code": category, "name": label, "group": category, "description": label})
        for sub, name in SUBCATEGORIES.get(category, {}).items():
            rows.append({"code": service_code(category, sub), "name": name, "group": category,
                         "description": f"{label}: {name}"})
    return rows
