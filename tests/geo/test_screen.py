"""geo.screen's rules on their own: what is refused (and named), and what ordinary requests send that must pass."""

from __future__ import annotations

import json

import pytest

from geo import screen

HOST = {"HTTP_HOST": "localhost:8000"}


def check(params=(), body: bytes | None = None, form=(), meta=None, path: str = "/api/x") -> None:
    screen.check_request(meta=meta or HOST, path=path, params=params, form=form, body=body)


@pytest.mark.parametrize(("name", "value"), [
    ("area", "419001103200001"), ("address_code", "41900110320000001"), ("bbox", "112.4,35.0,112.6,35.2"),
    ("since", "1900-01-01"), ("until", "2199-12-31"), ("week", "2026-W48"), ("offset", str(2 ** 63 - 1)),
    ("datetime", "2026-01-01T00:00:00+08:00/.."), ("phone", "0391-6633221"), ("lon", "-112.5e0"),
    ("q", "说明 2026-11-22"), ("offset", "10000000"), ("id", "20261122"), ("n", "99999999"),
    ("limit", "nan"),  # nan is the view's to refuse, with its own message
    # Fixed-width codes past 64 bits, in the fields that hold them (an administrator's camera or room form).
    ("channel_id", "41900100001320000101"), ("code", "41900100001320000101"),
    ("address_code", "4190011032000000201002003"),
])
def test_ordinary_values_pass(name, value):
    check(params=[(name, value)])


@pytest.mark.parametrize(("value", "words"), [
    ("a\x00", "NUL"), ("\ud800", "surrogate"), ("0001-01-01", "out of range 1900-01-01..2199-12-31"),
    ("1899-12-31T23:00:00Z", "out of range"), ("2200-01-01", "out of range"), ("0001-W01", "out of range"),
    ("2026-01-01/9999-12-31", "out of range"), (str(2 ** 63), "64-bit"), (f"-{2 ** 63 + 1}", "64-bit"),
    ("99991231", "out of range"), ("0001W011", "out of range"), ("00010101T00:00", "out of range"),
    ("1e309", "overflows"), ("9" * 41, "41 digits"), ("1,2,3,99999999999999999999", "64-bit"),
])
def test_refused_values_name_the_parameter(value, words):
    with pytest.raises(screen.Refused, match=words) as refused:
        check(params=[("p", value)])
    assert refused.value.field == "p" and refused.value.status == 400


def test_a_bad_parameter_name_is_refused_with_a_printable_name():
    with pytest.raises(screen.Refused) as refused:
        check(params=[("a\x00b", "1")])
    assert refused.value.field == "a\\u0000b"


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"description": "\u0000"}, "description", "NUL"),
    ({"boundary": {"type": "Polygon", "note": "\ud83d"}}, "boundary", "surrogate"),
    ({"valid_from": "\u0030001-01-01"}, "valid_from", "out of range"),  # an escaped digit is still a date
    ({"days": 2 ** 64}, "days", "64-bit"),
    ({"items": [1, 2, {"n": -(2 ** 63) - 1}]}, "items", "64-bit"),
])
def test_json_values_are_named_by_their_top_level_field(body, field, words):
    with pytest.raises(screen.Refused, match=words) as refused:
        check(body=json.dumps(body).encode())
    assert refused.value.field == field


@pytest.mark.parametrize(("body", "words"), [
    (b"[" * 33 + b"]" * 33, "nested 33 levels"), (b'{"a":' * 40 + b"1" + b"}" * 40, "nested 40 levels"),
    (b'{"n": 1' + b"0" * 41 + b"}", "more than 40 digits"),
    (b'{"x": "]]]", "y": ' + b"[" * 40 + b"]" * 40 + b"}", "nested 41 levels"),  # brackets in strings don't count
])
def test_json_depth_and_digits_are_checked_before_parsing(body, words):
    with pytest.raises(screen.Refused, match=words):
        check(body=body)


@pytest.mark.parametrize("body", [
    b"[" * 32 + b"]" * 32, b"[[[", b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', b"not json \x00",
    json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
        "type": "MultiPolygon", "coordinates": [[[[112.4, 35.0], [112.5, 35.0], [112.5, 35.1], [112.4, 35.0]]]]},
        "properties": {"名称": "承留镇", "true": True, "false": False, "e": 1.5e-7}}]}).encode(),
])
def test_deep_enough_or_not_json_passes(body):
    check(body=body)  # not JSON at all is the view's to refuse, in its own words


def test_form_fields_are_checked_as_parameters():
    with pytest.raises(screen.Refused) as refused:
        check(form=[("description", "x\x00")])
    assert refused.value.field == "description"


@pytest.mark.parametrize(("meta", "ok"), [
    ({"HTTP_HOST": "localhost"}, True), ({"HTTP_HOST": "127.0.0.1:8000"}, True),
    ({"HTTP_HOST": "evil.example"}, False), ({"HTTP_HOST": "localhost\x00"}, False),
    ({"SERVER_NAME": "localhost", "SERVER_PORT": "8000"}, True), ({"SERVER_NAME": "evil", "SERVER_PORT": "80"}, False),
])
def test_host_is_checked_as_django_does(meta, ok):
    if ok:
        screen.check_host(meta)
    else:
        with pytest.raises(screen.Refused, match="GRIDMAP_ALLOWED_HOSTS"):
            screen.check_host(meta)


def test_a_nul_in_the_path():
    with pytest.raises(screen.Refused) as refused:
        check(path="/api/areas/4190\x0001")
    assert refused.value.field == "path"


def test_a_code_field_still_refuses_what_is_not_a_code():
    with pytest.raises(screen.Refused, match="64-bit"):
        check(params=[("offset", "41900100001320000101")])  # the same digits as a number elsewhere
    with pytest.raises(screen.Refused, match="41 digits"):
        check(params=[("code", "9" * 41)])
    with pytest.raises(screen.Refused, match="64-bit"):
        check(params=[("code", "-99999999999999999999")])  # a signed number is not a code
