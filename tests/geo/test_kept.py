"""geo.kept: the one mechanism behind every per-process cache (tokens, the calendar, ended figures, the
index's month map, the month's warnings, the wall's units)."""

from __future__ import annotations

import time

import pytest

from geo import kept


@pytest.fixture
def keeper():
    made = kept.Keeper("test keeper", 60.0, max_entries=3)
    yield made
    del kept.KEEPERS["test keeper"]


def counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return calls, compute


def test_a_value_is_computed_once_while_it_is_kept(keeper):
    calls, compute = counter()
    assert keeper.get("a", compute) == 1
    assert keeper.get("a", compute) == 1
    assert keeper.get("b", compute) == 2  # the key names what the value depends on
    assert len(calls) == 2


def test_a_value_goes_when_its_time_is_up(keeper, monkeypatch):
    calls, compute = counter()
    assert keeper.get("a", compute, seconds=5) == 1
    later = time.monotonic() + 6
    monkeypatch.setattr(kept.time, "monotonic", lambda: later)
    assert keeper.get("a", compute) == 2


def test_a_none_is_kept_only_when_asked(keeper):
    calls = []
    assert keeper.get("token", lambda: calls.append(1), keep_none=False) is None
    assert keeper.get("token", lambda: calls.append(1), keep_none=False) is None
    assert len(calls) == 2  # an unknown token is looked up again: it may have been created meanwhile
    assert keeper.get("unit", lambda: calls.append(1)) is None
    assert keeper.get("unit", lambda: calls.append(1)) is None
    assert len(calls) == 3


def test_past_the_bound_every_entry_goes(keeper):
    calls, compute = counter()
    for key in "abc":
        keeper.get(key, compute)
    assert len(keeper) == 3
    keeper.get("d", compute)
    assert len(keeper) == 1
    assert keeper.get("a", compute) == 5  # computed again


def test_forget_all_reaches_every_keeper_and_names_are_unique(keeper):
    from analysis import dashboards, index  # noqa: F401  (their keepers register on import)
    from geo import access  # noqa: F401
    from layers.dashboards import wall  # noqa: F401
    from layers.figures import kept as figures_kept  # noqa: F401
    from layers.incidents import workdays  # noqa: F401

    assert {"api tokens", "work calendar", "ended figures", "index month map", "month warnings",
            "wall units"} <= set(kept.KEEPERS)
    keeper.get("a", lambda: 1)
    kept.forget_all()
    assert len(keeper) == 0
    with pytest.raises(ValueError, match="exists already"):
        kept.Keeper("test keeper", 1.0)
