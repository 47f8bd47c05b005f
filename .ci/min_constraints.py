"""Print a pip constraints file pinning every direct dependency of the package (its
``[project.dependencies]``) to the lowest version pyproject.toml declares.

CI's minimum-versions job installs with it (``pip install -c FILE -e '.[dev]'``) and runs
the suite, so the lower bounds are what the tests prove, not hopes. A dependency without a
lower bound (``botocore``: aiobotocore pins it) is left to pip.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def lowest(requirement: str) -> str | None:
    """``name==lowest`` for one requirement string, or None when it has no lower bound."""
    match = _REQ.match(requirement.split(";")[0])
    if match is None:
        raise SystemExit(f"cannot parse requirement {requirement!r}")
    name, _extras, spec = match.groups()
    for clause in spec.split(","):
        clause = clause.strip()
        for op in (">=", "~=", "=="):
            if clause.startswith(op):
                return f"{name}=={clause[len(op) :].strip()}"
    return None


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        pin = lowest(requirement)
        if pin:
            print(pin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
