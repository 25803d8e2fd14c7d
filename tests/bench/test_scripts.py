"""Every benchmark script starts: its imports resolve and it prints its usage (benchmarks are run by
hand on full-scale data, so nothing else would notice a module they import being moved or renamed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.iterdir() if p.is_file() and p.read_text(errors="replace").startswith("#!"))


def test_there_are_benchmarks():
    assert {"dashboards", "export", "grids", "incidents", "load_demo", "tiles"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_script_starts(script):
    result = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True,
                            timeout=120, cwd=BENCH.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage" in result.stdout.lower()
