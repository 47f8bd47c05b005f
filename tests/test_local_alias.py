"""``cognito_flows.local`` is an alias of ``cognito_local``: the same module objects, not copies."""

from __future__ import annotations

import importlib


def test_alias_package_exports_the_same_objects() -> None:
    import cognito_flows.local as alias
    import cognito_local

    assert alias.LocalCognito is cognito_local.LocalCognito
    assert set(alias.__all__) == set(cognito_local.__all__)


def test_alias_submodules_are_the_real_modules() -> None:
    real = importlib.import_module("cognito_local.model")
    aliased = importlib.import_module("cognito_flows.local.model")
    assert aliased is real
    from cognito_flows.local.emulator import load_config as via_alias

    from cognito_local.emulator import load_config

    assert via_alias is load_config


def test_unknown_alias_submodule_is_an_import_error() -> None:
    try:
        importlib.import_module("cognito_flows.local.no_such_module")
    except ImportError:
        return
    raise AssertionError("importing a missing submodule through the alias must fail")
