"""CI runs what README.md tells a newcomer to run, as the same strings."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md starts with a bash block of its two commands"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line]


def test_readme_commands_are_what_ci_runs() -> None:
    first, second = _readme_commands()[:2]
    assert first == "pip install . && cognito-flows demo"
    assert second == "pip install -e '.[dev]' && python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    # Each is run verbatim: the first in fresh venvs on 3.10 and 3.13, the second in the
    # suites on the same two.
    assert f'bash -c "{first}"' in ci
    assert f'bash -c "{second}"' in ci
    for page in ("index.md", "getting-started.md"):
        text = (ROOT / "docs" / page).read_text()
        assert first in text and second in text, page


def test_ci_runs_the_oldest_and_newest_supported_pythons() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10"' in pyproject
    assert "find_python 3.10" in ci and "find_python 3.13" in ci
    assert "Programming Language :: Python :: 3.13" in pyproject
    assert "min_constraints.py" in ci  # the oldest job pins the declared minimums


def test_minimum_constraints_pin_each_declared_lower_bound() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "min_constraints", ROOT / ".ci" / "min_constraints.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.lowest("pyjwt[crypto]>=2.8") == "pyjwt==2.8"
    assert module.lowest("aiobotocore>=2.13,<4") == "aiobotocore==2.13"
    assert module.lowest("transitions~=0.9.3") == "transitions==0.9.3"
    assert module.lowest("botocore") is None
    assert module.lowest('gmpy2>=2.1; python_version < "3.14"') == "gmpy2==2.1"
