"""SQL the ORM cannot say well, one statement per file; each file's first comment says why it is SQL."""

from __future__ import annotations

from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@cache
def load(name: str) -> str:
    """The text of layers/sql/<name>.sql (read once per process)."""
    return (HERE / f"{name}.sql").read_text(encoding="utf-8")
