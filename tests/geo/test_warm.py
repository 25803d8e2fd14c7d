"""geo/warm.py: a served process runs the apps' warm-ups once before its first request; a failing one is
logged, never fatal; the analysis app's imports PySAL (the early warnings' Gi*)."""

from __future__ import annotations

import sys

from geo import warm


def test_warm_ups_run_and_a_failing_one_is_not_fatal(monkeypatch, caplog):
    ran = []
    monkeypatch.setattr(warm, "WARMERS", [])
    warm.register(lambda: ran.append(1))

    def broken() -> None:
        raise RuntimeError("no such module")

    warm.register(broken)
    assert warm.run() >= 0 and ran == [1]
    assert "warm-up" in caplog.text and "no such module" in caplog.text


def test_the_analysis_warm_up_is_registered_and_imports_pysal():
    from analysis import warnings
    from reports import fonts

    assert warnings.warm in warm.WARMERS and fonts.cjk_font in warm.WARMERS
    warnings.warm()
    assert "esda" in sys.modules and "libpysal.weights" in sys.modules
