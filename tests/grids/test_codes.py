"""Code rules: length, digits, suffix ranges, and consistency with the parent."""

from __future__ import annotations

import pytest

from geo.errors import InvalidCode
from grids.codes import Level, default_kind, level_of_code, validate_code, validate_kind

VALID = [
    ("41", Level.PROVINCE, None, None),
    ("62", Level.PROVINCE, None, None),
    ("4190", Level.CITY, "41", Level.PROVINCE),  # province-administered counties' placeholder
    ("6211", Level.CITY, "62", Level.PROVINCE),
    ("419001", Level.COUNTY, "4190", Level.CITY),
    ("621122", Level.COUNTY, "6211", Level.CITY),
    ("419001", Level.COUNTY, None, None),  # a county alone is still a root
    ("419001103400", Level.VILLAGE, "419001103", Level.TOWNSHIP),  # village-like (类似村委会)
    ("419001103599", Level.VILLAGE, "419001103", Level.TOWNSHIP),
    ("419001001", Level.TOWNSHIP, "419001", Level.COUNTY),
    ("419001103", Level.TOWNSHIP, "419001", Level.COUNTY),
    ("419001001001", Level.VILLAGE, "419001001", Level.TOWNSHIP),
    ("419001103200", Level.VILLAGE, "419001103", Level.TOWNSHIP),
    ("419001103200001", Level.GRID, "419001103200", Level.VILLAGE),
    ("419001103200899", Level.GRID, "419001103200", Level.VILLAGE),
    ("4190011032009001", Level.DEDICATED, "419001103200", Level.VILLAGE),
]

INVALID = [
    # (code, level, parent, parent level, words the message must contain)
    ("41900", Level.COUNTY, None, None, "has 6 digits; '41900' has 5"),
    ("41900A", Level.COUNTY, None, None, "must be a string of digits"),
    ("419001", Level.COUNTY, "41", Level.PROVINCE, "must be a city"),
    ("419001", Level.COUNTY, "6211", Level.CITY, "does not start with its parent's code 6211"),
    ("4190", Level.CITY, None, None, "needs a parent province"),
    ("4100", Level.CITY, "41", Level.PROVINCE, "suffix 00 is outside"),
    ("41", Level.PROVINCE, "62", Level.PROVINCE, "root of the tree"),
    ("99", Level.PROVINCE, None, None, "suffix 99 is outside"),
    ("419000", Level.COUNTY, "4190", Level.CITY, "suffix 00 is outside"),
    ("6", Level.PROVINCE, None, None, "has 2 digits"),
    ("419001103", Level.TOWNSHIP, None, None, "needs a parent"),
    ("419002103", Level.TOWNSHIP, "419001", Level.COUNTY, "does not start with its parent's code 419001"),
    ("419001000", Level.TOWNSHIP, "419001", Level.COUNTY, "suffix 000 is outside"),
    ("419001700", Level.TOWNSHIP, "419001", Level.COUNTY, "suffix 700 is outside"),
    ("419001103200", Level.VILLAGE, "419001", Level.COUNTY, "must be a township/street"),
    ("419001103600", Level.VILLAGE, "419001103", Level.TOWNSHIP, "suffix 600 is outside"),
    ("419001103200900", Level.GRID, "419001103200", Level.VILLAGE, "suffix 900 is outside"),
    ("419001103200000", Level.GRID, "419001103200", Level.VILLAGE, "suffix 000 is outside"),
    ("419001103200001", Level.GRID, "419001103", Level.TOWNSHIP, "must be a village/community"),
    ("4190011032000001", Level.DEDICATED, "419001103200", Level.VILLAGE, "suffix 0001 is outside"),
    ("41900110320090010", Level.DEDICATED, "419001103200", Level.VILLAGE, "has 16 digits"),
]


@pytest.mark.parametrize(("code", "level", "parent", "parent_level"), VALID)
def test_valid_codes_pass(code, level, parent, parent_level):
    validate_code(code, level, parent, parent_level)
    assert level_of_code(code) == level


@pytest.mark.parametrize(("code", "level", "parent", "parent_level", "message"), INVALID)
def test_invalid_codes_are_refused_with_a_message(code, level, parent, parent_level, message):
    with pytest.raises(InvalidCode) as err:
        validate_code(code, level, parent, parent_level)
    assert message in err.value.message


def test_codes_are_text_not_numbers():
    with pytest.raises(InvalidCode, match="string of digits"):
        validate_code(419001, Level.COUNTY, None, None)


@pytest.mark.parametrize(("code", "level", "kind"), [
    ("419001001", Level.TOWNSHIP, "street"), ("419001103", Level.TOWNSHIP, "town"),
    ("419001201", Level.TOWNSHIP, "township"), ("419001401", Level.TOWNSHIP, "special"),
    ("419001001001", Level.VILLAGE, "community"), ("419001103250", Level.VILLAGE, "village"),
    ("419001103450", Level.VILLAGE, "special"), ("41", Level.PROVINCE, "province"),
    ("6211", Level.CITY, "city"), ("4190", Level.CITY, "province_direct"),
])
def test_kind_follows_the_code_range(code, level, kind):
    assert default_kind(code, level) == kind


def test_kind_contradicting_the_code_is_refused():
    with pytest.raises(InvalidCode, match="in the community range"):
        validate_kind("village", Level.VILLAGE, "419001001001")
    with pytest.raises(InvalidCode, match="is not a basic grid"):
        validate_kind("school", Level.GRID, "419001103200001")
