"""Identity numbers (GB 11643) and credit codes (GB 32100): the check digit decides, and every refusal
names the field and what is wrong."""

from __future__ import annotations

import pytest

from geo.errors import InvalidInput
from people import identity


def test_published_examples_are_valid():
    assert identity.normalize_id("11010519491231002x") == "11010519491231002X"  # the standard's example
    assert identity.normalize_credit_code("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize("bad, words", [
    ("110105194912310021", "check digit is 1, expected X"),
    ("11010519491331002X", "not a birth date"),
    ("1101051949123100", "17 digits and a check digit"),
    ("01010519491231002X", "17 digits and a check digit"),
])
def test_bad_identity_numbers_are_refused_naming_the_field(bad, words):
    with pytest.raises(InvalidInput) as err:
        identity.normalize_id(bad)
    assert err.value.field == "id_number" and words in err.value.message


@pytest.mark.parametrize("bad, words", [
    ("91350100M000100Y44", "check character is 4, expected 3"),
    ("91350100M000100I43", "18 characters"),
    ("9135010", "18 characters"),
])
def test_bad_credit_codes_are_refused_naming_the_field(bad, words):
    with pytest.raises(InvalidInput) as err:
        identity.normalize_credit_code(bad)
    assert err.value.field == "credit_code" and words in err.value.message


def test_every_single_digit_change_breaks_the_check():
    good = "11010519491231002X"
    for i in range(17):
        for d in "0123456789":
            if d != good[i]:
                changed = good[:i] + d + good[i + 1:]
                with pytest.raises(InvalidInput):
                    identity.normalize_id(changed)


def test_the_hash_is_keyed(settings):
    plain = identity.id_hash("11010519491231002X")
    settings.GRIDMAP_PERSONAL_KEY = "another key"
    assert identity.id_hash("11010519491231002X") != plain
    assert len(plain) == 64


@pytest.mark.parametrize("key", ["", "short key", "k" * 64,
                                 "a key longer than SHA-256's block of sixty-four bytes, hashed first"])
def test_the_import_hasher_gives_the_look_up_hash(settings, key):
    # imports hash with precomputed HMAC states (identity.hasher); every look-up matches on id_hash: the two
    # must agree for every key length (empty: the default derived from SECRET_KEY).
    settings.GRIDMAP_PERSONAL_KEY = key
    hashed = identity.hasher()
    for number in ("11010519491231002X", "440524188001010014"):
        assert hashed(number) == identity.id_hash(number)
