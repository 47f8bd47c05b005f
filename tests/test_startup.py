"""Start-up cost (issue 15 item 10): what ``import cognito_flows``, ``cognito-flows --help``
and the auto-loaded pytest plugin import, each in a fresh interpreter.

Timings are in ``benchmarks/startup.py``; these tests only check which modules get loaded,
which does not depend on the machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Top-level packages that cost most of the old second of start-up time.
HEAVY = ("botocore", "aiobotocore", "aiohttp", "cognito_local", "jwt", "cryptography", "webauthn")

_PROBE = """
import json, sys
{code}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""

CASES = {
    "import cognito_flows": "import cognito_flows",
    "import cognito_flows.errors": "from cognito_flows.errors import CognitoError",
    "cognito-flows --help": (
        "import contextlib, io\n"
        "from cognito_flows.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass"
    ),
    "cognito-flows sign-in --help": (
        "import contextlib, io\n"
        "from cognito_flows.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['sign-in', '--help'])\n    except SystemExit:\n        pass"
    ),
    "the pytest plugin": "import pytest\nimport cognito_flows.testing.plugin",
    "cognito_flows.testing": "from cognito_flows.testing import FlowStepper, expect_step",
}


def _loaded(code: str) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("case", list(CASES))
def test_start_up_imports_no_heavy_package(case: str) -> None:
    assert _loaded(CASES[case]) & set(HEAVY) == set()


def test_the_probe_sees_heavy_packages_when_they_are_used() -> None:
    """The check above can fail: the first use of a lazy name does import botocore."""
    loaded = _loaded("import cognito_flows\ncognito_flows.UserPool")
    assert {"botocore", "aiobotocore", "jwt"} <= loaded


def test_lazy_names_are_the_real_objects() -> None:
    import cognito_flows
    from cognito_flows.pool import UserPool
    from cognito_flows.tokens import TokenSet

    assert cognito_flows.UserPool is UserPool
    assert cognito_flows.TokenSet is TokenSet
    assert set(cognito_flows.__all__) <= set(dir(cognito_flows))
    with pytest.raises(AttributeError, match="no_such_name"):
        cognito_flows.no_such_name  # noqa: B018
