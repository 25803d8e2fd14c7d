"""bench/province's slope and extrapolation: the arithmetic of its linear model, on records whose right
answer is known, and `--report` printing them from a record alone (no load, nothing written)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def province():
    loader = importlib.machinery.SourceFileLoader("bench_province", str(BENCH / "province"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("bench_province", loader))
    loader.exec_module(module)
    return module


def step(n: int, **figures) -> dict:
    """A step whose figures are lines in n: DB 100 MB + 500 MB/county, tiles 20 + 2n ms, and so on."""
    base = {"counties": n, "incidents": 1_000_000 * n, "load_seconds": figures.pop("load_seconds"),
            "db_bytes": (100 + 500 * n) * 2**20, "tile_z10_ms": 20 + 2 * n, "tile_z6_ms": 30.0 - n,
            "tile_z5_ms": 10 + n, "tile_z7_ms": 15.0, "tile_kb_max": 8.0, "page_county_ms": 100 + 10 * n,
            "page_city_ms": 200.0,
            "page_province_ms": 300 + 5 * n, "stats_county_ms": 50.0, "stats_province_ms": 60 + n,
            "intake_per_s": 1000 / (2 + 0.1 * n), "intake_how": "HTTP", "vacuum_s": 4.0 * n,
            "peak_hour_incidents": 90 * n, "index_bytes": n * 2**30, "incident_index_bytes": n * 2**29,
            "incident_heap_bytes": n * 2**30, "event_heap_bytes": n * 2**30, "event_index_bytes": n * 2**28,
            "working_set_bytes": 2 * n * 2**30, "load_average": "1.00 1.00 1.00"}
    return {**base, **figures}


def record(loads: list[float], steps=(1, 3, 5)) -> dict:
    counties = [{"code": f"6299{k:02d}", "name": f"c{k}", "seconds": s, "stages": {"indexes": s / 2, "copy": s / 4},
                 "counts": {}} for k, s in enumerate(loads, 1)]
    made, out = 0, []
    for n in steps:
        out.append(step(n, load_seconds=loads[made:n]))
        made = n
    return {"command": "bench/province --test", "started": "today", "load_average_start": "1.00 1.00 1.00",
            "machine": {"cores": 2, "ram_bytes": 24 * 2**30, "disk_bytes": 250 * 2**30,
                        "disk_free_bytes_at_start": 40 * 2**30}, "counties": counties, "steps": out}


def test_linear_fit_recovers_a_line_and_the_least_squares_slope(province):
    assert province.linear_fit([(1, 5.0), (5, 13.0), (10, 23.0)]) == pytest.approx((3.0, 2.0))
    # Not on a line: the least-squares answer of (0,0), (1,1), (2,1) is y = 1/6 + x/2.
    assert province.linear_fit([(0, 0.0), (1, 1.0), (2, 1.0)]) == pytest.approx((1 / 6, 0.5))
    assert province.linear_fit([(4, 7.0)]) == (7.0, 0.0)  # one step: flat, not a division by zero
    with pytest.raises(ValueError):
        province.linear_fit([])


def test_step_slopes_are_per_added_county(province):
    assert province.step_slopes([(1, 10.0), (5, 30.0), (10, 20.0)]) == [(1, 5, 5.0), (5, 10, -2.0)]


def test_analyse_extrapolates_each_figure_to_100_counties(province):
    loads = [10.0 + 1.0 * k for k in range(1, 6)]  # t(k) = 10 + k
    model = province.analyse(record(loads))
    load = model["load"]
    assert load["fit"] == pytest.approx((10.0, 1.0))
    assert load["at_target"] == pytest.approx(110.0)
    assert load["growth"] == pytest.approx(15 / 11 - 1)
    assert load["growth_at_target"] == pytest.approx(110 / 11 - 1)
    assert load["all_at_target_s"] == pytest.approx(sum(10.0 + k for k in range(1, 101)))
    t = model["at_target"]
    assert t["DB size, total (MB)"] == pytest.approx(100 + 500 * 100)
    assert t["DB size per county (MB)"] == pytest.approx((100 + 500 * 100) / 100)
    assert t["tile z10 p95"] == pytest.approx(220.0)
    assert t["page province p95"] == pytest.approx(800.0)
    assert t["vacuum incidents + events (s)"] == pytest.approx(400.0)
    # A rate is extrapolated as its cost: 2 + 0.1 n ms per report → 12 ms at 100 counties → 83.3/s.
    assert t["intake, ms per report"] == pytest.approx(12.0)
    assert t["intake (/s)"] == pytest.approx(1000 / 12)
    # A cost whose line falls (30 - n) is kept at its largest measured value, not extrapolated below it.
    assert t["tile z6 p95"] == pytest.approx(29.0)
    assert model["floored"] == ["tile z6 p95"]
    assert model["bytes_per_incident"] == pytest.approx((2**30 + 2**29 + 2**30 + 2**28) / 1e6)
    assert t["incidents"] == pytest.approx(100e6)
    assert t["working_set_bytes"] == pytest.approx(200 * 2**30)
    assert t["peak_hour_incidents"] == pytest.approx(9000.0)
    # Step to step: the mean load of step 1 (11), of step 3 (12.5: 12, 13), of step 5 (14.5: 14, 15).
    assert model["slopes"]["load s/county (mean of the step's loads)"] == [(1, 3, 0.75), (3, 5, 1.0)]
    assert model["slopes"]["tile z10 p95"] == [(1, 3, 2.0), (3, 5, 2.0)]


def test_a_falling_load_line_is_kept_at_the_largest_load_not_extrapolated_below_zero(province):
    """The machine's load fell during a run, and the loads with it: t(k) = 60 - 10 k would give the 100th
    county -940 s and all 100 a negative time."""
    loads = [50.0, 40.0, 30.0, 20.0, 10.0]
    model = province.analyse(record(loads))
    assert model["load"]["fit"] == pytest.approx((60.0, -10.0))
    assert "load" in model["floored"]
    assert model["load"]["at_target"] == pytest.approx(50.0)
    assert model["load"]["growth_at_target"] == pytest.approx(0.0)
    assert model["load"]["all_at_target_s"] == pytest.approx(50.0 * 100)
    lines = "\n".join(province.verdicts(record(loads), model))
    assert "the 100th county ≈ 50 s (its line falls: the largest load measured) against the first's 50 s" in lines


def test_verdicts_compare_with_the_machine(province):
    model = province.analyse(record([10.0 + k for k in range(1, 6)]))
    lines = "\n".join(province.verdicts(record([10.0 + k for k in range(1, 6)]), model))
    assert "≈ 49 GiB against 40 GiB free" in lines and "EXCEEDS this machine" in lines  # 50,100 MB
    assert "≈ 200.0 GiB against 24.0 GiB of RAM (at 5 counties: 10.0 GiB) → EXCEEDS" in lines
    assert "the 100th county ≈ 110 s against the first's 11 s (+900 %" in lines
    assert "tile z10 p95 ≈ 220 ms (target ≤ 50 ms: MISSED)" in lines
    assert "page province p95 ≈ 800 ms (target ≤ 1000 ms: holds)" in lines
    assert "≈ 83/s at 100" in lines and "9,000 reports = 2.5/s → fits" in lines
    assert "tile z6 p95 ≈ 29 ms (no growth measured: the largest measured) (target ≤ 50 ms: holds)" in lines


def test_report_prints_from_a_record_alone(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record([10.0 + k for k in range(1, 6)])), encoding="utf-8")
    result = subprocess.run([sys.executable, str(BENCH / "province"), "--report", str(path)], capture_output=True,
                            text=True, timeout=120, cwd=BENCH.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "model: least-squares line" in result.stdout
    assert "t(k) = 10.0 s + 1.00 s × k, over 5 loads" in result.stdout
    assert "1→3: +2.00; 3→5: +2.00" in result.stdout
    assert "+36 % (target ≤ +15 %)" in result.stdout  # 15 s against 11 s
    # Tiles per zoom, z10 to z5 (z9 and z8 not in this record): step 5's 30, -, -, 15, 25, 15 ms.
    assert "tile z10     z9     z8     z7     z6     z5" in result.stdout
    assert "    30.0    nan    nan   15.0   25.0   15.0" in result.stdout


def test_a_re_measured_step_is_shown_but_leaves_the_model_to_the_loads(province, tmp_path):
    """--measure-only appends a step that loaded nothing (the database measured again after a merge): the table
    shows it, marked, and the slope and extrapolation stay those of the steps that loaded."""
    loads = [10.0 + k for k in range(1, 6)]
    plain = record(loads)
    again = record(loads)
    again["steps"].append({**step(5, load_seconds=[], tile_z10_ms=5.0), "remeasured": True,
                           "label": "after merging prune", "at": "20:50:00 UTC"})
    assert province.analyse(again) == province.analyse(plain)
    lines = province.table(again)
    assert len(lines) == 1 + 4 and "re-measured 20:50:00 UTC" in lines[-1] and "5.0" in lines[-1]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(again), encoding="utf-8")
    result = subprocess.run([sys.executable, str(BENCH / "province"), "--report", str(path)], capture_output=True,
                            text=True, timeout=120, cwd=BENCH.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "re-measured at 20:50:00 UTC: after merging prune" in result.stdout
    assert "1→3: +2.00; 3→5: +2.00" in result.stdout
    # A record made by --measure-only alone (no load in it) prints its table and no model.
    alone = {**again, "counties": [], "steps": again["steps"][-1:]}
    path.write_text(json.dumps(alone), encoding="utf-8")
    result = subprocess.run([sys.executable, str(BENCH / "province"), "--report", str(path)], capture_output=True,
                            text=True, timeout=120, cwd=BENCH.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "re-measured at 20:50:00 UTC" in result.stdout and "extrapolation" not in result.stdout


def test_a_partitioned_tables_size_of_zero_is_not_a_measurement(province):
    """The first 10 M run summed layers_incident itself (a partitioned table holds nothing): 0 bytes is
    left out of the model, not extrapolated to a province of empty tables."""
    early = step(1, load_seconds=[10.0], incident_index_bytes=0, incident_heap_bytes=0)
    assert province.figure(early, "incident_index_bytes") is None
    assert province.figure(early, "incident_table_bytes") is None
    assert province.figure(step(1, load_seconds=[10.0]), "incident_index_bytes") == 2**29
