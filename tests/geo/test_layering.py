"""Imports point one way: grids imports geo; layers imports grids and geo; people imports those three;
tiles imports all four.

Read from the source with the ast module (imports inside functions count too), so a shortcut taken
anywhere fails here, not in a review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What each app may import among the project's apps (fixtures, the demo loader, sits above them all).
ALLOWED = {"geo": {"geo"}, "grids": {"geo", "grids"}, "layers": {"geo", "grids", "layers"},
           # Tiles draws field's coverage and tracks (issue 19) as it draws people's counts.
           "tiles": {"geo", "grids", "layers", "people", "field", "tiles"},
           "field": {"geo", "grids", "layers", "field"},
           # People (issue 18) sits on the addresses of layers; tiles draws its counts.
           "people": {"geo", "grids", "layers", "people"}}
APPS = set(ALLOWED) | {"fixtures"}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & APPS


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_no_app_imports_one_above_it(app):
    wrong = {str(path.relative_to(ROOT)): sorted(imported_apps(path) - ALLOWED[app])
             for path in (ROOT / app).rglob("*.py") if imported_apps(path) - ALLOWED[app]}
    assert wrong == {}


def test_the_rule_is_enforced_on_a_planted_import(tmp_path):
    planted = tmp_path / "bad.py"
    planted.write_text("def f():\n    from tiles.registry import REGISTRY\n    return REGISTRY\n")
    assert imported_apps(planted) - ALLOWED["layers"] == {"tiles"}
