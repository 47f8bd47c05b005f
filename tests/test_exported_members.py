"""The public face: every public name of a package is in its ``__all__`` and every
``__all__`` entry exists (after httpx's ``tests/test_exported_members.py``)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import cognito_flows
import cognito_local

PACKAGES = [cognito_flows, cognito_local]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_every_public_name_of_the_package_is_exported(package: types.ModuleType) -> None:
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"  # from __future__ import annotations
    }
    exported = set(package.__all__)
    assert public - exported == set(), "public but not in __all__"
    assert len(package.__all__) == len(exported), "duplicates in __all__"


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):
                names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_every_all_entry_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", [])
    assert [n for n in exported if not hasattr(module, n)] == []
    assert len(exported) == len(set(exported)), "duplicates in __all__"
