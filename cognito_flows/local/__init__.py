"""Deprecated alias of :mod:`cognito_local`, the strict local Cognito.

The emulator became its own top-level package (it depends on :mod:`cognito_flows.srp` alone).
``import cognito_flows.local`` and ``from cognito_flows.local.model import Pool`` keep working
for one release and give the very same module objects as ``cognito_local``, so classes compare
equal and ``isinstance`` checks hold across both names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence

import cognito_local
from cognito_local import *  # noqa: F403

__all__ = list(cognito_local.__all__)

_PREFIX = __name__ + "."


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self._target = target
        self._spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self._target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """The target module is already executed. Between ``create_module`` and here,
        importlib set its ``__spec__`` to the alias's; the real one is put back, so that
        the module's own relative imports (which Python 3.12+ resolve by
        ``__spec__.parent``, warning when it differs from ``__package__``) and pickling go
        by its real name."""
        if self._spec is not None:
            module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``cognito_flows.local.X`` to the already-importable ``cognito_local.X``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PREFIX):
            return None
        real = "cognito_local." + fullname[len(_PREFIX) :]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())
