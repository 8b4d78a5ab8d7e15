"""Prints pip constraints pinning every dependency of hfsynth (core and extras) to its lower bound.

``scripts/test_floors.sh`` installs hfsynth under these constraints, so the bounds pyproject.toml
promises are the versions the tests ran on, not a guess.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

FLOOR = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)")


def floors(pyproject: Path) -> dict[str, str]:
    """name -> lower bound, for every ``name>=version`` requirement of the project and its extras."""
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = FLOOR.match(requirement.strip())
        if match and match.group(1).lower() != project["name"]:
            pins[match.group(1).lower()] = match.group(3)
    return pins


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    for name, version in sorted(floors(root / "pyproject.toml").items()):
        print(f"{name}=={version}")
