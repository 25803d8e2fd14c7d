"""The local-database helper's own checks (the cluster itself is exercised by every other test)."""

from __future__ import annotations

import pytest

from geo import localdb


def test_a_file_in_place_of_the_null_device_is_named_with_the_fix(tmp_path):
    fake = tmp_path / "null"
    fake.write_text("")
    with pytest.raises(localdb.LocalDbError, match="not the null device.*mknod -m 666"):
        localdb.check_null_device(str(fake))


def test_the_real_null_device_passes():
    localdb.check_null_device()


def test_port_is_derived_from_the_checkout_unless_set(monkeypatch):
    monkeypatch.delenv("GRIDMAP_PG_PORT", raising=False)
    assert localdb.port() == localdb.port()
    assert 55000 <= localdb.port() < 55900
    monkeypatch.setenv("GRIDMAP_PG_PORT", "54999")
    assert localdb.port() == 54999
