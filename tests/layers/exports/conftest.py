"""Exports' and OGC's fixtures: the county with tricky rows, an administrator's and an analyst's token."""

from tests.support.exports import admin_key, analyst_key, county  # noqa: F401
