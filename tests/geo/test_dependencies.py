"""What the app imports is what pyproject.toml declares, and requirements.lock pins all of it."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from scripts.check_lock import PIN, normalize, problems

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("geo", "grids", "layers", "tiles", "fixtures", "analysis", "reports", "field", "addresses", "people")


def _run_time_imports() -> dict[str, set[str]]:
    """Top-level module imported -> files importing it, over the app's code (tests and benchmarks excluded)."""
    found: dict[str, set[str]] = {}
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def _declared(group: str | None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {normalize(PIN.match(r)[1]) for r in requirements}


def test_every_third_party_import_is_a_declared_run_time_dependency():
    """Relying on a dependency's dependency (branca through folium) breaks when that one drops it."""
    distributions = importlib.metadata.packages_distributions()
    runtime = _declared(None)
    undeclared = {}
    for module, files in _run_time_imports().items():
        if module in sys.stdlib_module_names or module in APP_PACKAGES or module == "__future__":
            continue
        names = {normalize(d) for d in distributions.get(module, [])}
        assert names, f"{module} (imported by {sorted(files)}) belongs to no installed distribution"
        if not names & runtime:
            undeclared[module] = sorted(files)
    assert not undeclared, f"imported at run time but not in [project] dependencies: {undeclared}"


def test_test_only_packages_stay_out_of_the_run_time_dependencies():
    imports = _run_time_imports()
    assert "mapbox_vector_tile" not in imports
    assert "mapbox-vector-tile" in _declared("dev") and "mapbox-vector-tile" not in _declared(None)


def test_the_lock_pins_every_declared_dependency():
    assert problems() == [], "run `make lock`"


def test_every_locked_package_has_a_hash():
    lock = (ROOT / "requirements.lock").read_text()
    entries = [block for block in lock.split("\n") if PIN.match(block) and not block.startswith((" ", "#"))]
    assert entries
    assert all(line.rstrip().endswith("\\") for line in entries), "every pin is followed by --hash lines"
    assert lock.count("--hash=sha256:") >= len(entries)
