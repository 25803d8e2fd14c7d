#!/usr/bin/env python3
"""Does requirements.lock pin every dependency of pyproject.toml at the version pyproject.toml pins?

`make` installs only from the lock, so a dependency added to pyproject.toml but not locked would be
missing at run time, and a changed pin would silently keep the old version. Run before the install
(standard library only: the virtualenv may not exist yet); exits 1 naming what is missing and that
`make lock` fixes it.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;]+)")


def normalize(name: str) -> str:
    """PEP 503: names compare case-insensitively with runs of -, _ and . as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(pyproject: Path) -> dict[str, str]:
    """name -> pinned version of the run-time and dev dependencies."""
    project = tomllib.loads(pyproject.read_text())["project"]
    pins: dict[str, str] = {}
    for requirement in [*project["dependencies"], *project.get("optional-dependencies", {}).get("dev", [])]:
        match = PIN.match(requirement)
        if not match:
            raise SystemExit(f"pyproject.toml: {requirement!r} is not pinned with ==; pin it to the version pip "
                             "installs now")
        pins[normalize(match[1])] = match[2]
    return pins


def locked(lock: Path) -> dict[str, str]:
    """name -> version of every package in the lock (lines such as `django==5.2.19 \\`)."""
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match and not line.startswith((" ", "#")):
            pins[normalize(match[1])] = match[2]
    return pins


def problems(pyproject: Path = ROOT / "pyproject.toml", lock: Path = ROOT / "requirements.lock") -> list[str]:
    if not lock.exists():
        return [f"{lock.name} is missing"]
    have = locked(lock)
    found = []
    for name, version in sorted(declared(pyproject).items()):
        if name not in have:
            found.append(f"{name}=={version} is in pyproject.toml but not in {lock.name}")
        elif have[name] != version:
            found.append(f"{name} is {version} in pyproject.toml but {have[name]} in {lock.name}")
    return found


def main() -> int:
    found = problems()
    if found:
        print("requirements.lock does not match pyproject.toml:", *found, sep="\n  ", file=sys.stderr)
        print("run `make lock` (it needs PyPI) and commit requirements.lock", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
