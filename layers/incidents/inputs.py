"""Checks for the fields of incident requests, each refusing with a message that names the field.

Shared by intake, the loop's transitions, the figures and Open311, so "severity: 'huge' is not one of
general, larger, major" reads the same whichever door the request came in by.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from geo.errors import InvalidInput

# Phone apps name their reports with UUIDs or "<device>-<counter>"; no spaces or control characters.
CLIENT_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,64}$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{2,18}$")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def text(data: Mapping[str, Any], name: str, *, max_length: int, required: bool = False, default: str = "") -> str:
    """A string field, stripped; numbers are refused rather than turned into text by accident."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(_("{name} is required").format(name=name), field=name)
        return default
    if not isinstance(value, str):
        raise InvalidInput(_("{name}: expected text, got {type}").format(name=name, type=type(value).__name__),
                           field=name)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(_("{name}: at most {max} characters, got {count}").format(
            name=name, max=max_length, count=len(value)), field=name)
    if required and not value:
        raise InvalidInput(_("{name} is required").format(name=name), field=name)
    return value


def choice(data: Mapping[str, Any], name: str, choices: type[models.TextChoices], *, required: bool = False,
           default: str = "") -> str:
    """A value of a TextChoices; the message lists what is allowed."""
    value = text(data, name, max_length=64, required=required, default=default)
    if value and value not in choices.values:
        raise InvalidInput(_("{name}: {value!r} is not one of {allowed}").format(
            name=name, value=value, allowed=", ".join(choices.values)), field=name)
    return value


def client_id(data: Mapping[str, Any], name: str = "client_id") -> str | None:
    value = text(data, name, max_length=64)
    if not value:
        return None
    if not CLIENT_ID.fullmatch(value):
        raise InvalidInput(_("{name}: 1-64 letters, digits or . _ : @ -, got {value!r}").format(name=name, value=value),
                           field=name)
    return value


def phone(data: Mapping[str, Any], name: str) -> str:
    value = text(data, name, max_length=20)
    if value and not PHONE.fullmatch(value):
        raise InvalidInput(_("{name}: not a phone number: {value!r}").format(name=name, value=value), field=name)
    return value


def integer(data: Mapping[str, Any], name: str, *, low: int, high: int) -> int | None:
    """An optional whole number in [low, high]; "5" is accepted (form posts), 5.5 and True are not."""
    value = data.get(name)
    if value is None or value == "":
        return None
    # isascii: str.isdigit() also takes '²', which int() refuses.
    if isinstance(value, str) and value.strip().lstrip("-").isascii() and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("{name}: expected a whole number {low}-{high}, got {value!r}").format(
            name=name, low=low, high=high, value=value), field=name)
    if not low <= value <= high:
        raise InvalidInput(_("{name}: must be {low}-{high}, got {value}").format(
            name=name, low=low, high=high, value=value), field=name)
    return value


def moment(value: str | None, name: str, *, end_of_day: bool = False) -> dt.datetime | None:
    """An ISO 8601 date or date-time; a date is local midnight (or the next midnight for an end bound).

    A date-time without an offset is taken as China Standard Time, the centers' clock.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(_("{name}: expected a date or date-time, got {type}").format(
            name=name, type=type(value).__name__), field=name)
    try:
        # A bare date first: Python 3.11's fromisoformat (inside parse_datetime) reads one as a midnight.
        day = parse_date(value) if DATE_ONLY.fullmatch(value) else None
        parsed = None if day else parse_datetime(value)
    except ValueError as exc:
        raise InvalidInput(_("{name}: {value!r} is not a valid date ({reason})").format(
            name=name, value=value, reason=exc), field=name) from exc
    if parsed is None and day is None:
        raise InvalidInput(_("{name}: expected an ISO 8601 date (2025-01-31) or date-time, got {value!r}").format(
            name=name, value=value), field=name)
    try:
        if parsed is None:
            parsed = dt.datetime.combine(day + dt.timedelta(days=1) if end_of_day else day, dt.time())
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
        # In China Standard Time: PostgreSQL refuses offsets beyond ±15:59 that Python reads (-21:23), and a
        # moment past the calendar's ends (the day after 9999-12-31) raises OverflowError here, not a 500 there.
        parsed.astimezone(dt.UTC)
        return parsed.astimezone(timezone.get_current_timezone())
    except (OverflowError, ValueError) as exc:
        raise InvalidInput(_("{name}: {value!r} is outside the calendar's range").format(name=name, value=value),
                           field=name) from exc
