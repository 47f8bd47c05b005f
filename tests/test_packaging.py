"""What a user installs: the sdist and the wheel as built from this tree (the license file,
the metadata PyPI shows), and that every package the code imports is declared."""

from __future__ import annotations

import ast
import email
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("build", "hatchling")),
    reason="needs build and hatchling (pip install -e '.[dev]')",
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built from this tree without network (no isolation)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def _wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(zf.read(name))


def test_license_file_is_in_the_sdist_and_the_wheel(dist: dict[str, Path]) -> None:
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    with tarfile.open(dist["sdist"]) as tf:
        names = tf.getnames()
        (member,) = [n for n in names if n.count("/") == 1 and n.endswith("/LICENSE")]
        extracted = tf.extractfile(member)
        assert extracted is not None and extracted.read().decode() == license_text
    with zipfile.ZipFile(dist["wheel"]) as zf:
        (member,) = [n for n in zf.namelist() if re.search(r"\.dist-info/licenses/LICENSE$", n)]
        assert zf.read(member).decode() == license_text
        # Both top-level packages and the typing marker ship.
        assert "cognito_flows/py.typed" in zf.namelist()
        assert any(n.startswith("cognito_local/") for n in zf.namelist())


def test_wheel_metadata_license_urls_classifiers(dist: dict[str, Path]) -> None:
    meta = _wheel_metadata(dist["wheel"])
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Changelog", "Issues"} <= set(urls)
    classifiers = set(meta.get_all("Classifier") or [])
    for minor in (10, 11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert "Typing :: Typed" in classifiers
    assert meta["Requires-Python"] == ">=3.10"


def _imported_top_level_modules() -> set[str]:
    names: set[str] = set()
    for package in ("cognito_flows", "cognito_local"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"cognito_flows", "cognito_local"}


def test_every_imported_package_is_declared(dist: dict[str, Path]) -> None:
    """aiohttp (the emulator's server) and cryptography (snapshot encryption, JWKS) are
    imported directly, so they are declared, not left to arrive through aiobotocore/pyjwt.
    Optional ones (gmpy2, redis, pytest and its asyncio plugin, segno's QR) are declared in
    an extra or as a dependency."""
    meta = _wheel_metadata(dist["wheel"])
    declared = {
        re.split(r"[\s\[<>=~!;]", req, maxsplit=1)[0].lower().replace("_", "-")
        for req in meta.get_all("Requires-Dist") or []
    }
    required = {
        re.split(r"[\s\[<>=~!;]", req, maxsplit=1)[0].lower()
        for req in meta.get_all("Requires-Dist") or []
        if "extra ==" not in req
    }
    assert {"aiohttp", "cryptography", "srptools"} <= required
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        dists = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if not dists & declared:
            missing[module] = sorted(dists)
    assert not missing, f"imported but not declared: {missing}"
