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


def test_importing_through_the_alias_leaves_the_real_module_its_own_spec() -> None:
    """importlib sets ``__spec__`` on the module a loader creates; the alias's spec on
    ``cognito_local.X`` made its relative imports warn on 3.12+ (``__package__ !=
    __spec__.parent``) and name the module wrongly from then on."""
    import sys
    import warnings

    real = importlib.import_module("cognito_local.managed_login")
    sys.modules.pop("cognito_flows.local.managed_login", None)
    aliased = importlib.import_module("cognito_flows.local.managed_login")
    assert aliased is real
    assert real.__spec__ is not None and real.__spec__.name == "cognito_local.managed_login"
    assert real.__spec__.parent == real.__package__ == "cognito_local"
    emulator = importlib.import_module("cognito_local.emulator")
    sys.modules.pop("cognito_flows.local.emulator", None)
    importlib.import_module("cognito_flows.local.emulator")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("from .managed_login import domain_url", vars(emulator).copy())
