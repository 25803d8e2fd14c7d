"""DATABASE_URL: its query options reach libpq (sslmode, application_name...), not only host and name."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from geo.settings import _database_from_url
from tests.support.chromium import database_url


def test_query_options_are_kept():
    config = _database_from_url("postgres://gm:s%2Fecret@db.example:6432/county?sslmode=require&connect_timeout=5")
    assert config["OPTIONS"] == {"sslmode": "require", "connect_timeout": 5}
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == \
        ("gm", "s/ecret", "db.example", "6432", "county")
    assert config["ENGINE"] == "django.contrib.gis.db.backends.postgis"


def test_other_schemes_are_refused():
    with pytest.raises(ValueError, match="postgres://"):
        _database_from_url("mysql://gm@db.example/county")


@pytest.mark.django_db
def test_an_option_reaches_the_server():
    """A real connection made from a URL with ?application_name= reports that name: the option was passed on."""
    url = database_url(connection.settings_dict) + "?application_name=gridmap-url-test&sslmode=disable"
    handler = ConnectionHandler({"default": _database_from_url(url) | {"NAME": connection.settings_dict["NAME"]}})
    other = handler["default"]
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT current_setting('application_name')")
            assert cursor.fetchone()[0] == "gridmap-url-test"
    finally:
        other.close()
