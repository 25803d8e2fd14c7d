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


def test_the_standby_port_has_a_range_of_its_own(monkeypatch):
    monkeypatch.delenv("GRIDMAP_PG_PORT", raising=False)
    monkeypatch.delenv("GRIDMAP_PG_STANDBY_PORT", raising=False)
    assert localdb.standby_port() == localdb.port() + 1000 and 56000 <= localdb.standby_port() < 56900
    monkeypatch.setenv("GRIDMAP_PG_STANDBY_PORT", "56999")
    assert localdb.standby_url().startswith("postgres://gridmap@127.0.0.1:56999/")


def test_a_second_start_of_the_standby_only_checks_it(standby):
    """`start --standby` is idempotent and fast once the standby runs: no clone, the slot in use."""
    import time

    if standby != localdb.standby_url():
        pytest.skip("DATABASE_REPLICA_URL names a standby of its own")
    assert localdb._standby_is_stale() is None
    started = time.monotonic()
    localdb.start_standby()
    assert time.monotonic() - started < 5
    assert localdb._psql(f"select active from pg_replication_slots where slot_name = '{localdb.SLOT}'") == "t"
    assert localdb._psql("select pg_is_in_recovery()", server_port=localdb.standby_port()) == "t"
